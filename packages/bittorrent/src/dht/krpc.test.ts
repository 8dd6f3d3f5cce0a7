import fc from 'fast-check';
import { encode } from '../bencode';
import { ProtocolError } from '../errors';
import {
  decodeKrpc,
  encodeError,
  encodeQuery,
  encodeResponse,
  KRPC_MAX_PACKET,
  KrpcError,
  type KrpcMethod,
  type NodeInfo,
  type QueryArgs,
} from './krpc';

const b = (s: string) => Buffer.from(s, 'latin1');
const id = (c: string) => Buffer.alloc(20, c);

describe('KRPC codec', () => {
  it('decodes the BEP 5 ping example', () => {
    const m = decodeKrpc(b('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe'));
    expect(m).toMatchObject({ type: 'query', method: 'ping', readOnly: false });
    expect(m.t).toEqual(b('aa'));
    if (m.type !== 'query') throw new Error();
    expect(m.args.id).toEqual(b('abcdefghij0123456789'));
  });

  it('decodes the BEP 5 get_peers response with values', () => {
    const m = decodeKrpc(
      b(
        'd1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re',
      ),
    );
    if (m.type !== 'response') throw new Error('not a response');
    expect(m.body.token).toEqual(b('aoeusnth'));
    expect(m.body.values).toEqual([
      { ip: '97.120.106.101', port: 0x2e75 },
      { ip: '105.100.104.116', port: 0x6e6d },
    ]);
  });

  it('round-trips every query type with BEP 32/43 fields', () => {
    const t = b('xy');
    const cases: [KrpcMethod, QueryArgs][] = [
      ['ping', { id: id('a') }],
      ['find_node', { id: id('a'), target: id('b'), want: ['n4', 'n6'] }],
      ['get_peers', { id: id('a'), infoHash: id('c') }],
      ['announce_peer', { id: id('a'), infoHash: id('c'), port: 6881, token: b('tok') }],
      ['announce_peer', { id: id('a'), infoHash: id('c'), impliedPort: true, token: b('tok') }],
      ['sample_infohashes', { id: id('a'), target: id('d') }],
    ];
    for (const [method, args] of cases) {
      const m = decodeKrpc(encodeQuery(t, method, args, { readOnly: true }));
      expect(m).toEqual({
        type: 'query',
        t,
        method,
        args: expect.objectContaining(args),
        readOnly: true,
      });
    }
  });

  it('round-trips responses with nodes, nodes6, samples and the BEP 42 ip', () => {
    const nodes: NodeInfo[] = [{ id: id('n'), ip: '127.0.0.5', port: 7000 }];
    const nodes6: NodeInfo[] = [{ id: id('m'), ip: '2001:db8::7', port: 7001 }];
    const wire = encodeResponse(
      b('t1'),
      { id: id('r'), nodes, nodes6, samples: [id('s'), id('u')], interval: 60, num: 2 },
      { ip: { ip: '192.0.2.9', port: 1234 } },
    );
    const m = decodeKrpc(wire);
    expect(m).toEqual({
      type: 'response',
      t: b('t1'),
      ip: { ip: '192.0.2.9', port: 1234 },
      body: { id: id('r'), nodes, nodes6, samples: [id('s'), id('u')], interval: 60, num: 2 },
    });
  });

  it('decodes errors', () => {
    expect(decodeKrpc(encodeError(b('e1'), 201, 'A Generic Error Ocurred'))).toEqual({
      type: 'error',
      t: b('e1'),
      code: 201,
      message: 'A Generic Error Ocurred',
    });
  });

  it('keeps the transaction id of a query with bad arguments, so it can be answered', () => {
    const wire = encode({ t: 'zz', y: 'q', q: 'find_node', a: { id: id('a'), target: 'short' } });
    try {
      decodeKrpc(wire);
      throw new Error('decoded');
    } catch (err) {
      expect(err).toBeInstanceOf(KrpcError);
      expect((err as KrpcError).transactionId).toEqual(b('zz'));
      expect((err as KrpcError).wasQuery).toBe(true);
    }
  });

  it('passes unknown methods through (to be answered with 204)', () => {
    const m = decodeKrpc(encode({ t: 'aa', y: 'q', q: 'vote', a: { id: id('a') } }));
    expect(m).toMatchObject({ type: 'query', method: 'vote' });
  });

  it.each([
    ['oversized', Buffer.alloc(KRPC_MAX_PACKET + 1, 0x61), 'krpc.too-large'],
    ['not bencode', b('hello'), 'krpc.bad-bencode'],
    ['a list', b('le'), 'krpc.not-a-dict'],
    ['no t', b('d1:y1:qe'), 'krpc.bad-transaction'],
    ['long t', encode({ t: Buffer.alloc(17), y: 'q' }), 'krpc.bad-transaction'],
    ['bad y', encode({ t: 'aa', y: 'x' }), 'krpc.bad-type'],
    ['deep', b('d1:t2:aa1:y1:q1:ad1:ald1:alleeeee'), 'krpc.bad-bencode'],
    [
      'no port',
      encode({
        t: 'a',
        y: 'q',
        q: 'announce_peer',
        a: { id: id('a'), info_hash: id('b'), token: 'x' },
      }),
      'krpc.bad-args',
    ],
    ['short id', encode({ t: 'a', y: 'r', r: { id: 'abc' } }), 'krpc.bad-args'],
  ])('refuses %s with a KrpcError', (_what, wire, code) => {
    expect(() => decodeKrpc(wire)).toThrow(expect.objectContaining({ code }));
  });

  it('ignores malformed entries inside values and a partial node tail', () => {
    const m = decodeKrpc(
      encode({
        t: 'a',
        y: 'r',
        r: { id: id('a'), values: ['abcdef', 'xx', 7, 'abcd\0\0'], nodes: Buffer.alloc(30, 1) },
      }),
    );
    if (m.type !== 'response') throw new Error();
    expect(m.body.values).toHaveLength(1); // 'xx' and 7 skipped, port 0 dropped
    expect(m.body.nodes).toHaveLength(1);
  });
});

describe('KRPC codec properties', () => {
  const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
  const tid = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a) => Buffer.from(a));
  const node4 = fc.record({ id: bytes20, ip: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }) });
  const peer = fc.record({ ip: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }) });

  it('response encode/decode round-trips', () => {
    fc.assert(
      fc.property(
        tid,
        bytes20,
        fc.array(node4, { maxLength: 16 }),
        fc.array(peer, { maxLength: 50 }),
        fc.option(
          fc.uint8Array({ minLength: 1, maxLength: 20 }).map((a) => Buffer.from(a)),
          { nil: undefined },
        ),
        (t, rid, nodes, values, token) => {
          const m = decodeKrpc(encodeResponse(t, { id: rid, nodes, values, token }));
          expect(m).toEqual({
            type: 'response',
            t,
            body: { id: rid, nodes, values, ...(token && { token }) },
          });
        },
      ),
    );
  });

  function parsesOrKrpcError(input: Uint8Array): void {
    try {
      decodeKrpc(input);
    } catch (err) {
      if (!(err instanceof KrpcError)) throw err;
      expect(err).toBeInstanceOf(ProtocolError);
    }
  }

  it('fuzz: random bytes never throw anything but a KrpcError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), parsesOrKrpcError), { numRuns: 2000 });
  });

  it('fuzz: mutated valid messages never throw anything but a KrpcError', () => {
    const seeds = [
      encodeQuery(b('aa'), 'announce_peer', {
        id: id('a'),
        infoHash: id('c'),
        port: 1,
        token: b('tk'),
      }),
      encodeResponse(b('bb'), {
        id: id('r'),
        nodes: [{ id: id('n'), ip: '1.2.3.4', port: 5 }],
        values: [{ ip: '1.2.3.4', port: 9 }],
        samples: [id('s')],
      }),
      encodeError(b('cc'), 203, 'x'),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(),
        (seed, edits, cut) => {
          const m = Buffer.from(seed);
          for (const [at, v] of edits) m[at % m.length] = v;
          parsesOrKrpcError(m);
          parsesOrKrpcError(m.subarray(0, cut % (m.length + 1)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
