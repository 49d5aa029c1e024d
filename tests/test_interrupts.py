"""A Ctrl-C or SIGTERM waits until the block reporting one bulk item is done."""

from __future__ import annotations

import pytest

from aitasker_cli.core import interrupts
from aitasker_cli.core.errors import Terminated


def test_outside_a_held_block_a_signal_is_raised_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        interrupts.deliver(KeyboardInterrupt())


def test_inside_a_held_block_the_signal_waits_for_its_end() -> None:
    done = []

    with pytest.raises(KeyboardInterrupt), interrupts.held():
        interrupts.deliver(KeyboardInterrupt())
        done.append("noted")
        interrupts.deliver(Terminated())  # a second one is not raised on top
        done.append("printed")

    assert done == ["noted", "printed"]
    with interrupts.held():
        pass  # nothing was left waiting to spoil the next block


def test_nested_blocks_raise_once_at_the_outermost_end() -> None:
    reached = []

    with pytest.raises(Terminated), interrupts.held():
        with interrupts.held():
            interrupts.deliver(Terminated())
        reached.append("after the inner block")

    assert reached == ["after the inner block"]
