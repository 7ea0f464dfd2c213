"""Zarya: flight software for crewed deep-space missions, and the tools around it.

What a script imports (each name is loaded on first use, so `import zarya` stays light):

    from zarya import SimulatedBoard, LinkClient, Flight, dose_kernels, porkchop_window

- the link: LinkClient (command a board, real or simulated, over any pyserial URL), Archive,
  load_dictionary, development_key, load_key_file;
- the simulated board: SimulatedBoard, Environment, RadiationEnvironment, PowerEnvironment, and
  Flight (board + link + archive set up the way the bench and the missions do it);
- the kernels: dose_kernels() and guidance_kernels() (the backend ZARYA_BACKEND selects);
- the planner: porkchop_window, best_transfers, transfer, parse_date, date_text;
- the HIL bench: Scenario, run_scenario;
- ZaryaError, the root of every error a user can act on.
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {  # name -> (module, attribute)
    "LinkClient": ("zarya.link.client", "LinkClient"),
    "Archive": ("zarya.link.archive", "Archive"),
    "load_dictionary": ("zarya.dictionary", "load"),
    "development_key": ("zarya.link.keys", "development_key"),
    "load_key_file": ("zarya.link.keys", "load_key_file"),
    "SimulatedBoard": ("zarya.sim.board", "SimulatedBoard"),
    "Environment": ("zarya.sim.environment", "Environment"),
    "RadiationEnvironment": ("zarya.sim.radiation", "RadiationEnvironment"),
    "PowerEnvironment": ("zarya.sim.power", "PowerEnvironment"),
    "Flight": ("zarya.sim.flight", "Flight"),
    "dose_kernels": ("zarya.backends", "dose"),
    "guidance_kernels": ("zarya.backends", "guidance"),
    "porkchop_window": ("zarya.guidance.planner", "porkchop_window"),
    "best_transfers": ("zarya.guidance.planner", "best_transfers"),
    "transfer": ("zarya.guidance.planner", "transfer"),
    "parse_date": ("zarya.guidance.timescale", "parse_date"),
    "date_text": ("zarya.guidance.timescale", "date_text"),
    "Scenario": ("zarya.bench", "Scenario"),
    "run_scenario": ("zarya.bench", "run_scenario"),
    "ZaryaError": ("zarya.errors", "ZaryaError"),
}
__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'zarya' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value
