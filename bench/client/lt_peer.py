#!/usr/bin/python3
"""python3-libtorrent peer for the client benchmark.

usage: lt_peer.py seed|leech TORRENT DIR
Seeds (until killed) or downloads (exits 0 when complete), on 127.0.0.1 with DHT, LSD, UPnP,
NAT-PMP, uTP and encryption off; high_performance_seed() settings. Prints "listening PORT",
then "ready" (seeder verified) or "done" (leecher complete).
"""
import sys
import time
import libtorrent as lt

mode, torrent, save = sys.argv[1], sys.argv[2], sys.argv[3]
settings = lt.high_performance_seed() if mode == 'seed' else lt.default_settings()
settings.update({
    'listen_interfaces': '127.0.0.1:0',
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'allow_multiple_connections_per_ip': True,
    'out_enc_policy': 1, 'in_enc_policy': 1,
    'alert_mask': 0,
})
ses = lt.session(settings)
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
print('listening', ses.listen_port(), flush=True)
announced = False
while True:
    s = h.status()
    if mode == 'seed' and s.is_seeding and not announced:
        h.force_reannounce()
        announced = True
        print('ready', flush=True)
    if mode == 'leech' and s.is_seeding:
        print('done', flush=True)
        sys.exit(0)
    time.sleep(0.02 if mode == 'leech' else 0.2)
