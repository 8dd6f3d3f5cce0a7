#!/usr/bin/python3
"""A python3-libtorrent (Debian, 2.0.x) DHT node (or LSD peer) for enjambre's DHT and LSD tests.

Run with /usr/bin/python3. The single argument is a JSON object:
  ip             loopback address to listen on (one per node: libtorrent limits nodes per IP)
  port           port (0: any)
  nodes          ["ip:port", ...] added with add_dht_node (they enter the routing table)
  announce       [info-hash hex, ...]: added as magnets, force_dht_announce() every `every` s
  get_peers      [info-hash hex, ...]: dht_get_peers() every `every` s
  dir            save path for the magnets
  every          seconds between repeats (default 2)
  dht            run the DHT (default true)
  lsd            run Local Service Discovery (default false); `announce` torrents are announced
  lsd_interval   LSD announce interval in seconds (default 1)

Commands on stdin (one JSON object a line, for bench/dht): {"get_peers": hex, "tag": any} starts
one lookup; each of its replies is printed as {"type": "lookup", "tag": ..., "ms": ..., "peers": N}
(libtorrent posts a reply alert for every node that answers with peers, not one when the lookup is
done; replies are timed for 5 s).

Prints JSON lines: {"type": "listening", "port": N} once, {"type": "dht", "nodes": N}
periodically, {"type": "peers", "info_hash": hex, "peers": ["ip:port", ...]} for each
get_peers reply. Exits on SIGTERM/SIGINT.
"""
import json
import queue
import signal
import sys
import threading
import time

import libtorrent as lt

stopping = False


def on_signal(_signum, _frame):
    global stopping
    stopping = True


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    cfg = json.loads(sys.argv[1])
    ip = cfg["ip"]
    every = cfg.get("every", 2)
    s = lt.session(
        {
            "listen_interfaces": "%s:%d" % (ip, cfg.get("port", 0)),
            "outgoing_interfaces": ip,
            "enable_dht": cfg.get("dht", True),
            "enable_lsd": cfg.get("lsd", False),
            "local_service_announce_interval": cfg.get("lsd_interval", 1),
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "dht_bootstrap_nodes": "",
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_prefer_verified_node_ids": False,
            "dht_block_ratelimit": 1000,
            "alert_mask": lt.alert.category_t.dht_notification
            | lt.alert.category_t.dht_operation_notification
            | lt.alert.category_t.status_notification
            | lt.alert.category_t.error_notification,
        }
    )
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    port = s.listen_port()
    emit({"type": "listening", "port": port})
    for n in cfg.get("nodes", []):
        host, p = n.rsplit(":", 1)
        s.add_dht_node((host, int(p)))
    handles = []
    for h in cfg.get("announce", []):
        params = lt.parse_magnet_uri("magnet:?xt=urn:btih:" + h)
        params.save_path = cfg["dir"]
        handles.append(s.add_torrent(params))
    wanted = [lt.sha1_hash(bytes.fromhex(h)) for h in cfg.get("get_peers", [])]
    commands = queue.Queue()

    def read_commands():
        for line in sys.stdin:
            try:
                commands.put(json.loads(line))
            except ValueError:
                pass

    threading.Thread(target=read_commands, daemon=True).start()
    timed = {}  # info-hash hex -> (tag, start time)
    last = 0.0
    while not stopping:
        now = time.time()
        if now - last >= every:
            last = now
            for handle in handles:
                handle.force_dht_announce()
            for h in wanted:
                s.dht_get_peers(h)
            s.post_dht_stats()
        for h in [h for h, (_, started) in timed.items() if time.monotonic() - started > 5]:
            del timed[h]
        while not commands.empty():
            c = commands.get()
            timed[c["get_peers"]] = (c.get("tag"), time.monotonic())
            s.dht_get_peers(lt.sha1_hash(bytes.fromhex(c["get_peers"])))
        for a in s.pop_alerts():
            if isinstance(a, lt.dht_get_peers_reply_alert) and str(a.info_hash) in timed:
                tag, started = timed[str(a.info_hash)]
                ms = (time.monotonic() - started) * 1000
                emit({"type": "lookup", "tag": tag, "ms": ms, "peers": len(a.peers())})
            elif isinstance(a, lt.dht_get_peers_reply_alert):
                emit(
                    {
                        "type": "peers",
                        "info_hash": str(a.info_hash),
                        "peers": ["%s:%d" % (p[0], p[1]) for p in a.peers()],
                    }
                )
            elif isinstance(a, lt.dht_stats_alert):
                emit({"type": "dht", "nodes": sum(b["num_nodes"] for b in a.routing_table)})
        s.wait_for_alert(20)
    emit({"type": "stopped"})


if __name__ == "__main__":
    main()
