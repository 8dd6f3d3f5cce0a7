/*
 * UDP tracker load generator (BEP 15) for bench/tracker.
 *
 * Closed loop: S sockets, each with W announces in flight; every answer triggers the next
 * announce on the same slot, so throughput is what the tracker can answer. Lost datagrams are
 * re-sent after a timeout (counted as "lost"). Latency of every answer goes into a 1 us
 * histogram for p50/p99/p999.
 *
 * Modes:
 *   pool      for DURATION seconds: random torrent from the hash file, random peer id and port,
 *             no event, numwant 50 (the throughput benchmark)
 *   distinct  announce PEERS distinct peers once each (event started), peer i in torrent
 *             i % TORRENTS with port 1024 + i / TORRENTS, half of them seeders (memory
 *             benchmark); ends when every one was answered
 *
 * Usage: udp-load HOST PORT HASHFILE MODE DURATION_S|PEERS [SOCKETS] [WINDOW] [TORRENTS]
 *   HASHFILE  binary file of 20-byte info-hashes
 * Prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 256
#define MAX_WINDOW 256
#define HIST_US 2000000 /* latencies above 2 s land in the last bucket */
#define TIMEOUT_NS 1000000000LL
#define RECONNECT_NS 60000000000LL /* connection ids live 2 min (BEP 15); renew after 1 */

typedef struct {
  int64_t sent_at; /* 0 = free */
  uint16_t generation;
  int64_t peer; /* distinct mode: which peer this slot carries, -1 none */
} slot_t;

typedef struct {
  int fd;
  uint64_t connection_id;
  int connected;
  int64_t connect_sent_at;
  int64_t connected_at;
  uint32_t connect_tx;
  slot_t slots[MAX_WINDOW];
} sock_t;

static uint8_t *hashes;
static size_t hash_count;
static uint32_t histogram[HIST_US + 1];
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static int distinct;
static int64_t peers_total, next_peer, peers_done, torrents_distinct;
static uint64_t sent, received, errors, lost;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void send_connect(sock_t *s, uint32_t tx) {
  uint8_t packet[16];
  put64(packet, 0x41727101980ULL);
  put32(packet + 8, 0);
  put32(packet + 12, tx);
  s->connect_tx = tx;
  s->connect_sent_at = now_ns();
  if (send(s->fd, packet, sizeof packet, 0) < 0 && errno != EAGAIN) perror("send connect");
}

/* Next new peer for a distinct-mode slot (a lost one stays on its slot); -1 when none is left. */
static int64_t take_peer(void) { return next_peer < peers_total ? next_peer++ : -1; }

static void send_announce(sock_t *s, int si, int slot_index) {
  slot_t *slot = &s->slots[slot_index];
  uint8_t packet[98];
  memset(packet, 0, sizeof packet);
  put64(packet, s->connection_id);
  put32(packet + 8, 1);
  slot->generation++;
  put32(packet + 12, ((uint32_t)si << 24) | ((uint32_t)slot_index << 16) | slot->generation);
  if (distinct) {
    int64_t peer = slot->peer >= 0 ? slot->peer : take_peer();
    if (peer < 0) {
      slot->sent_at = 0;
      return;
    }
    slot->peer = peer;
    memcpy(packet + 16, hashes + (size_t)(peer % torrents_distinct) * 20, 20);
    memcpy(packet + 36, "-BN0001-", 8);
    put64(packet + 44, (uint64_t)peer);
    put32(packet + 52, 0x62656e63); /* "benc" fills the rest of the peer id */
    put64(packet + 56, 0);                                  /* downloaded */
    put64(packet + 64, (peer & 1) ? 0 : 1000000);           /* left: half seeders */
    put64(packet + 72, 0);                                  /* uploaded */
    put32(packet + 80, 2);                                  /* started */
    put32(packet + 88, (uint32_t)peer);                     /* key */
    put32(packet + 92, 50);                                 /* num_want */
    uint16_t port = (uint16_t)(1024 + (peer / torrents_distinct) % 60000);
    packet[96] = port >> 8;
    packet[97] = port & 0xff;
  } else {
    memcpy(packet + 16, hashes + (rnd() % hash_count) * 20, 20);
    uint64_t a = rnd(), b = rnd(), c = rnd();
    memcpy(packet + 36, &a, 8);
    memcpy(packet + 44, &b, 8);
    memcpy(packet + 52, &c, 4);
    put64(packet + 64, (c >> 32) & 1 ? 0 : 1000000); /* left */
    put32(packet + 80, 0);                            /* no event */
    put32(packet + 88, (uint32_t)a);                  /* key */
    put32(packet + 92, 50);                           /* num_want */
    uint16_t port = (uint16_t)(1024 + (b % 60000));
    packet[96] = port >> 8;
    packet[97] = port & 0xff;
  }
  slot->sent_at = now_ns();
  if (send(s->fd, packet, sizeof packet, 0) < 0 && errno != EAGAIN) perror("send announce");
  sent++;
}

static uint32_t percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (uint32_t us = 0; us <= HIST_US; us++) {
    seen += histogram[us];
    if (seen > want) return us;
  }
  return HIST_US;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s HOST PORT HASHFILE pool|distinct DURATION_S|PEERS [SOCKETS] [WINDOW] [TORRENTS]\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  distinct = strcmp(argv[4], "distinct") == 0;
  double duration = distinct ? 0 : atof(argv[5]);
  peers_total = distinct ? atoll(argv[5]) : 0;
  int socket_count = argc > 6 ? atoi(argv[6]) : 16;
  int window = argc > 7 ? atoi(argv[7]) : 4;
  if (socket_count < 1 || socket_count > MAX_SOCKETS || window < 1 || window > MAX_WINDOW) {
    fprintf(stderr, "sockets 1..%d, window 1..%d\n", MAX_SOCKETS, MAX_WINDOW);
    return 2;
  }

  FILE *f = fopen(argv[3], "rb");
  if (!f) {
    perror(argv[3]);
    return 1;
  }
  struct stat st;
  fstat(fileno(f), &st);
  hash_count = (size_t)st.st_size / 20;
  hashes = malloc(hash_count * 20 + 1);
  if (hash_count == 0 || fread(hashes, 20, hash_count, f) != hash_count) {
    fprintf(stderr, "cannot read hashes from %s\n", argv[3]);
    return 1;
  }
  fclose(f);
  torrents_distinct = argc > 8 ? atoll(argv[8]) : (int64_t)hash_count;
  if (torrents_distinct < 1 || (size_t)torrents_distinct > hash_count) torrents_distinct = (int64_t)hash_count;

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bad IPv4 address %s\n", host);
    return 2;
  }
  int ep = epoll_create1(0);
  sock_t *socks = calloc((size_t)socket_count, sizeof(sock_t));
  for (int i = 0; i < socket_count; i++) {
    socks[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    setsockopt(socks[i].fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (connect(socks[i].fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      perror("connect");
      return 1;
    }
    for (int j = 0; j < window; j++) socks[i].slots[j].peer = -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, socks[i].fd, &ev);
    send_connect(&socks[i], 0xC0000000u | (uint32_t)i);
  }

  int64_t start = now_ns();
  int64_t end = distinct ? INT64_MAX : start + (int64_t)(duration * 1e9);
  uint8_t buf[2048];
  struct epoll_event events[MAX_SOCKETS];
  int64_t last_sweep = start;
  for (;;) {
    int64_t t = now_ns();
    if (t >= end) break;
    if (distinct && peers_done >= peers_total) break;
    int n = epoll_wait(ep, events, MAX_SOCKETS, 10);
    for (int e = 0; e < n; e++) {
      int si = (int)events[e].data.u32;
      sock_t *s = &socks[si];
      for (;;) {
        ssize_t len = recv(s->fd, buf, sizeof buf, 0);
        if (len < 0) break;
        if (len < 8) continue;
        uint32_t action = get32(buf), tx = get32(buf + 4);
        int64_t at = now_ns();
        if (tx == s->connect_tx && action == 0 && len >= 16) {
          memcpy(&s->connection_id, buf + 8, 8);
          s->connection_id = __builtin_bswap64(s->connection_id);
          int first = !s->connected;
          s->connected = 1;
          s->connected_at = at;
          s->connect_tx = 0;
          if (first)
            for (int j = 0; j < window; j++) send_announce(s, si, j);
          continue;
        }
        int slot_index = (int)((tx >> 16) & 0xff);
        if ((int)(tx >> 24) != si || slot_index >= window) continue;
        slot_t *slot = &s->slots[slot_index];
        if (slot->sent_at == 0 || (tx & 0xffff) != slot->generation) continue; /* stale */
        int64_t us = (at - slot->sent_at) / 1000;
        histogram[us > HIST_US ? HIST_US : us]++;
        if (action == 1 && len >= 20) {
          received++;
          if (distinct) peers_done++;
        } else {
          errors++;
          if (errors <= 3) fprintf(stderr, "tracker error: %.*s\n", (int)(len - 8), buf + 8);
          if (distinct) peers_done++; /* an error is an answer too; the caller checks errors */
        }
        slot->peer = -1;
        if (at - s->connected_at > RECONNECT_NS && s->connect_tx == 0) {
          send_connect(s, 0xC0000000u | ((uint32_t)rnd() & 0x3fffffff));
        }
        send_announce(s, si, slot_index);
      }
    }
    /* Re-send what was lost: connects and announces older than the timeout. */
    if (t - last_sweep > 100000000LL) {
      last_sweep = t;
      for (int i = 0; i < socket_count; i++) {
        sock_t *s = &socks[i];
        if (s->connect_tx != 0 && t - s->connect_sent_at > TIMEOUT_NS) send_connect(s, s->connect_tx);
        if (!s->connected) continue;
        for (int j = 0; j < window; j++) {
          slot_t *slot = &s->slots[j];
          if (distinct && slot->sent_at == 0) {
            if (next_peer < peers_total) send_announce(s, i, j);
            continue;
          }
          if (slot->sent_at != 0 && t - slot->sent_at > TIMEOUT_NS) {
            lost++;
            send_announce(s, i, j); /* same peer again in distinct mode */
          }
        }
      }
    }
  }
  double seconds = (double)(now_ns() - start) / 1e9;
  uint64_t answered = received + errors;
  printf("{\"mode\":\"%s\",\"seconds\":%.3f,\"sent\":%llu,\"received\":%llu,\"errors\":%llu,\"lost\":%llu,"
         "\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"p999_us\":%u,\"max_us\":%u}\n",
         distinct ? "distinct" : "pool", seconds, (unsigned long long)sent, (unsigned long long)received,
         (unsigned long long)errors, (unsigned long long)lost, received / seconds, percentile(answered, 0.5),
         percentile(answered, 0.99), percentile(answered, 0.999), percentile(answered, 1.0 - 1e-12));
  return 0;
}
