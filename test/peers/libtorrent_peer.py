#!/usr/bin/python3
"""A python3-libtorrent (Debian, 2.0.x) peer for tests and benchmarks.

Run with Debian's /usr/bin/python3 (the only interpreter here that has `import libtorrent`).
The single argument is a JSON object:
  torrent_file | magnet   what to add (one of them)
  dir                     save path
  role                    "seed" (existing data, verified on start) or "leech"
  trackers                extra announce URLs (optional)
  peers                   ["127.0.0.1:port", ...] to connect to directly (optional)
  high_performance        apply libtorrent's high_performance_seed() preset (optional)
  interval                status period in seconds (default 0.25)
  announce_interval       re-announce every N seconds (optional; trackers usually say 30 min,
                          too long for a test whose peers start one by one, and a seeder must
                          learn of leechers that cannot dial it, such as Transmission)
  ip                      address to listen and dial from (default 127.0.0.1; DHT tests give each
                          node its own 127.0.x.y, see INTEROP-NOTES.md)
  dht_nodes               ["ip:port", ...]: run the DHT, joined through these nodes, and announce
                          and look the torrent up on it every `dht_interval` s (default 2)
  lsd                     run Local Service Discovery, announcing every `lsd_interval` s (default 2)

Prints one JSON object per line on stdout: {"type": "listening", "port": N} once, then
{"type": "status", ...} periodically and {"type": "alert", ...} for tracker replies and errors.
Exits cleanly on SIGTERM/SIGINT.
"""
import json
import os
import signal
import socket
import sys
import time

import libtorrent as lt

STATE_NAMES = {
    lt.torrent_status.checking_files: "checking",
    lt.torrent_status.downloading_metadata: "metadata",
    lt.torrent_status.downloading: "downloading",
    lt.torrent_status.finished: "finished",
    lt.torrent_status.seeding: "seeding",
    lt.torrent_status.checking_resume_data: "checking",
}

stopping = False


def listening(peer):
    """Whether a TCP connection to `peer` opens now (the probe is closed at once)."""
    try:
        socket.create_connection(peer, timeout=0.5).close()
        return True
    except OSError:
        return False


def on_signal(_signum, _frame):
    global stopping
    stopping = True


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def settings(options):
    pack = lt.high_performance_seed() if options.get("high_performance", False) else {}
    ip = options.get("ip", "127.0.0.1")
    pack.update(
        {
            "listen_interfaces": "%s:0" % ip,
            "outgoing_interfaces": ip,
            "enable_dht": "dht_nodes" in options,
            "enable_lsd": bool(options.get("lsd", False)),
            "local_service_announce_interval": int(options.get("lsd_interval", 2)),
            # loopback DHT swarms: no public router, many nodes per address range (INTEROP-NOTES.md)
            "dht_bootstrap_nodes": "",
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_prefer_verified_node_ids": False,
            "dht_block_ratelimit": 1000,
            "enable_upnp": False,
            "enable_natpmp": False,
            # TCP only: the other test clients and our engine speak TCP; uTP on loopback only adds noise.
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            # Every test peer is 127.0.0.1, so several connections from one IP are normal here.
            "allow_multiple_connections_per_ip": True,
            "in_enc_policy": lt.enc_policy.enabled,
            "out_enc_policy": lt.enc_policy.disabled,
            "announce_to_all_trackers": True,
            "announce_to_all_tiers": True,
            "alert_mask": lt.alert.category_t.error_notification
            | lt.alert.category_t.status_notification
            | lt.alert.category_t.tracker_notification,
            "user_agent": "enjambre-test-libtorrent/" + lt.__version__,
        }
    )
    return pack


def main():
    options = json.loads(sys.argv[1])
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    session = lt.session(settings(options))
    if options.get("magnet"):
        params = lt.parse_magnet_uri(options["magnet"])
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(options["torrent_file"])
    params.save_path = options["dir"]
    trackers = list(params.trackers) + list(options.get("trackers", []))
    params.trackers = trackers
    handle = session.add_torrent(params)

    # Port 0 above lets the OS choose; wait until the socket is bound to learn it.
    deadline = time.time() + 10
    while session.listen_port() == 0 and time.time() < deadline:
        time.sleep(0.05)
    emit({"type": "listening", "port": session.listen_port()})

    peers = []
    for spec in options.get("peers", []):
        host, port = spec.rsplit(":", 1)
        peers.append((host, int(port)))

    interval = float(options.get("interval", 0.25))
    announce_interval = options.get("announce_interval")
    dht_interval = float(options.get("dht_interval", 2))
    last_dht = 0.0
    for spec in options.get("dht_nodes", []):
        host, port = spec.rsplit(":", 1)
        session.add_dht_node((host, int(port)))
    last_connect = 0.0
    last_announce = time.time()
    parent = os.getppid()
    while not stopping:
        # Never outlive the test process, even one killed with SIGKILL (we get re-parented).
        if os.getppid() != parent:
            break
        for alert in session.pop_alerts():
            report_alert(alert)
        status = handle.status()
        now = time.time()
        # connect_peer is forgotten if the peer was not up yet, so retry while not connected.
        if peers and now - last_connect > 2 and status.state not in (lt.torrent_status.checking_files,):
            connected = {(p.ip[0], p.ip[1]) for p in handle.get_peer_info()}
            for peer in peers:
                # only once it listens: libtorrent holds off redialling a peer that refused
                if peer not in connected and listening(peer):
                    handle.connect_peer(peer)
            last_connect = now
        if announce_interval and now - last_announce > announce_interval:
            handle.force_reannounce()
            last_announce = now
        if "dht_nodes" in options and now - last_dht > dht_interval:
            # libtorrent announces on the DHT every 15 min; a test's peers start one by one
            handle.force_dht_announce()
            last_dht = now
        emit(status_line(handle, status))
        time.sleep(interval)

    session.pause()
    emit({"type": "stopped"})


def status_line(handle, status):
    peers = []
    for p in handle.get_peer_info():
        peers.append(
            {
                "ip": p.ip[0],
                "port": p.ip[1],
                "client": p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client,
                "progress": p.progress,
                "seed": bool(p.flags & lt.peer_info.seed),
                "source": [
                    name
                    for name in ("tracker", "dht", "pex", "lsd")
                    if p.source & getattr(lt.peer_info, name)
                ],
            }
        )
    return {
        "type": "status",
        "state": STATE_NAMES.get(status.state, str(status.state)),
        "progress": status.progress,
        "total_done": status.total_done,
        "total_wanted": status.total_wanted,
        "download_rate": status.download_rate,
        "upload_rate": status.upload_rate,
        "num_peers": status.num_peers,
        "num_seeds": status.num_seeds,
        "list_seeds": status.list_seeds,
        "list_peers": status.list_peers,
        "peers": peers,
        "error": str(status.errc.message()) if status.errc.value() != 0 else "",
    }


def report_alert(alert):
    kind = type(alert).__name__
    entry = {"type": "alert", "alert": kind, "message": alert.message()}
    if isinstance(alert, lt.tracker_reply_alert):
        entry["num_peers"] = alert.num_peers
        entry["url"] = alert.tracker_url()
    elif isinstance(alert, lt.tracker_alert):
        entry["url"] = alert.tracker_url()
    emit(entry)


if __name__ == "__main__":
    main()
