# Telemetry out: every TM packet is built once, sent on the link and kept in the ST[15] store;
# ST[5] events and ST[3] housekeeping reports are built here from the dictionary.
import struct

from core import codec


class Telemetry:
    def __init__(self, dictionary, writer, link, clock, store=None):
        self.apids = dictionary.APIDS
        self.writer = writer
        self.link = link
        self.clock = clock
        self.store = store
        self.store_enabled = True
        self.sent = 0
        self.events = {}
        for ev in dictionary.EVENTS:
            self.events[ev["name"]] = (ev["id"], dictionary.SEVERITY[ev["severity"]], ev["args"])
        self.hk = {}
        for s in dictionary.HK:
            self.hk[s["sid"]] = s

    def send(self, apid_name, service, subtype, data, n_data=-1):
        w = self.writer
        n = w.build(self.apids[apid_name], service, subtype, self.clock.time_s, self.clock.fraction16(), data, n_data)
        self.link.send(w.buf, n)
        self.sent += 1
        if self.store is not None and self.store_enabled:
            self.store.put(w.buf, n)

    def event(self, name, *args):
        event_id, severity, spec = self.events[name]
        apid = "core"
        self.send(apid, 5, severity, struct.pack(">H", event_id) + codec.pack(spec, args))

    def housekeeping(self, sid, values):
        s = self.hk[sid]
        self.send(s["apid"], 3, 25, struct.pack(">B", sid) + codec.pack(s["fields"], values))
