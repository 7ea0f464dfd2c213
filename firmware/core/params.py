# ST[20] parameters: declared in dictionary.PARAMS, range-checked on every set, persisted.
from core import failures

INTEGER_TYPES = ("u8", "u16", "u32", "i16", "i32")


class Params:
    def __init__(self, table, store):
        self.by_id = {}
        self.by_name = {}
        self.values = {}
        for p in table:
            self.by_id[p["id"]] = p
            self.by_name[p["name"]] = p
            self.values[p["name"]] = p["default"]
        self.store = store
        saved = store.load("params", {})
        for key in saved:
            p = self.by_id.get(int(key))
            if p is not None and self.check(p, saved[key]) == 0:
                self.values[p["name"]] = saved[key]

    def get(self, name):
        return self.values[name]

    @staticmethod
    def check(p, value):
        """0 if value fits parameter p, else the ST[1] failure code failures.OUT_OF_RANGE."""
        if p["type"] in INTEGER_TYPES and value != int(value) or not p["min"] <= value <= p["max"]:
            return failures.OUT_OF_RANGE
        return 0

    def set(self, param_id, value):
        """0, or failures.UNKNOWN_PARAM / failures.OUT_OF_RANGE: nothing changes on failure."""
        p = self.by_id.get(param_id)
        if p is None:
            return failures.UNKNOWN_PARAM
        failure = self.check(p, value)
        if failure:
            return failure
        self.values[p["name"]] = int(value) if p["type"] in INTEGER_TYPES else value
        self.store.save("params", {str(k): self.values[self.by_id[k]["name"]] for k in self.by_id})
        return 0
