/**
 * BEP 42 for ourselves: answering nodes tell us the address they see us at (`ip`). Each distinct
 * node gets one vote per address; the address with the most voters is our external address. The
 * memory is bounded: at most 16 addresses (a 17th starts the count over) and 64 voters each.
 */
const MAX_ADDRESSES = 16;
const MAX_VOTERS = 64;

export class IpVotes {
  private readonly votes = new Map<string, Set<string>>();

  /** Records that `voter` sees us at `external`; returns how many distinct nodes said so. */
  vote(external: string, voter: string): number {
    if (this.votes.size >= MAX_ADDRESSES && !this.votes.has(external)) this.votes.clear();
    let voters = this.votes.get(external);
    if (!voters) this.votes.set(external, (voters = new Set()));
    if (voters.size < MAX_VOTERS) voters.add(voter);
    return voters.size;
  }

  /** The address most nodes report, if any. */
  get best(): string | undefined {
    let best: string | undefined;
    let count = 0;
    for (const [ip, voters] of this.votes)
      if (voters.size > count) [best, count] = [ip, voters.size];
    return best;
  }
}
