"""An empty pack takes the board down with it, and sunlight brings it back: the bench holds the supply."""

from zarya.sim.board import CAUSE_POWER_ON
from zarya.sim.environment import Environment
from zarya.sim.flight import Flight
from zarya.sim.power import Battery, PowerEnvironment


def test_the_board_browns_out_when_the_pack_empties_and_boots_when_the_bus_returns(tmp_path):
    power = PowerEnvironment(battery=Battery(soc=0.003), solar_w_1au=0.0, seed=3)
    with Flight(tmp_path, Environment(power=power), seed=3, step_ms=1000) as flight:
        board = flight.board
        board.advance(600)
        assert [why for _, why in board.log.brownouts] == ["bus collapsed"]
        assert board.unpowered and power.battery.cut_off and power.bus_v < 3.0
        assert power.battery.energy_out_wh <= Battery(soc=0.003).stored_energy_wh()  # no energy from nothing
        board.advance(600)  # still dark: the board stays off, no boot loop
        assert len(board.log.boots) == 1
        power.solar_w_1au = 30.0
        board.advance(120)
        assert not board.unpowered and len(board.log.boots) == 2 and board.log.boots[-1][1] == CAUSE_POWER_ON
        flight.drain()
        assert len([e for e in flight.link.events if e.name == "BOOT"]) >= 1
    assert abs(power.battery.energy_residual_wh()) < 1e-9  # in, out, losses and stored energy balance
