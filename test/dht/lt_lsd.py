#!/usr/bin/python3
"""A python3-libtorrent (Debian, 2.0.x) peer with Local Service Discovery on, for enjambre's LSD test.

Argument: JSON {"ip": listen address, "info_hash": hex (added as a magnet), "dir": save path,
"interval": LSD announce interval in seconds}. Prints {"type": "listening", "port": N}, then
{"type": "alert", "message": ...} for LSD errors. Exits on SIGTERM/SIGINT.
"""
import json
import signal
import sys

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
    s = lt.session(
        {
            "listen_interfaces": "%s:0" % cfg["ip"],
            "outgoing_interfaces": cfg["ip"],
            "enable_dht": False,
            "enable_lsd": True,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_incoming_utp": False,
            "enable_outgoing_utp": False,
            "local_service_announce_interval": cfg.get("interval", 1),
            "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        }
    )
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emit({"type": "listening", "port": s.listen_port()})
    params = lt.parse_magnet_uri("magnet:?xt=urn:btih:" + cfg["info_hash"])
    params.save_path = cfg["dir"]
    s.add_torrent(params)
    while not stopping:
        for a in s.pop_alerts():
            if isinstance(a, lt.lsd_error_alert):
                emit({"type": "alert", "message": a.message()})
        s.wait_for_alert(200)


if __name__ == "__main__":
    main()
