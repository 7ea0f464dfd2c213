# ST[20] parameters: declared in dictionary.PARAMS, range-checked on every set, persisted.
from core import store as store_mod

INTEGER_TYPES = ("u8", "u16", "u32", "i16", "i32")


class Params:
    def __init__(self, table, store, on_corrupt):
        self.by_id = {}
        self.by_name = {}
        self.values = {}
        for p in table:
            self.by_id[p["id"]] = p
            self.by_name[p["name"]] = p
            self.values[p["name"]] = p["default"]
        self.store = store
        saved, how = store.load("params", {})
        if how in (store_mod.FROM_BACKUP, store_mod.DEFAULTS):
            on_corrupt(1, 1 if how == store_mod.FROM_BACKUP else 2)
        for key in saved:
            p = self.by_id.get(int(key))
            if p is not None and self.check(p, saved[key]) == 0:
                self.values[p["name"]] = saved[key]

    def get(self, name):
        return self.values[name]

    @staticmethod
    def check(p, value):
        """0 if value fits parameter p, else the ST[1] failure code (4: out of range)."""
        if p["type"] in INTEGER_TYPES and value != int(value):
            return 4
        if not p["min"] <= value <= p["max"]:
            return 4
        return 0

    def set(self, param_id, value):
        """0, or 11 (unknown parameter) / 4 (out of range): nothing changes on failure."""
        p = self.by_id.get(param_id)
        if p is None:
            return 11
        failure = self.check(p, value)
        if failure:
            return failure
        self.values[p["name"]] = int(value) if p["type"] in INTEGER_TYPES else value
        self.store.save("params", {str(k): self.values[self.by_id[k]["name"]] for k in self.by_id})
        return 0
