import pytest

import orderflow
from orderflow import STATUSES, InvalidTransition, Order
from orderflow.report import open_orders, refunds_due, status_counts


def traffic_light():
    from orderflow.workflow import Workflow

    return Workflow(
        "red",
        [
            ("go", "red", "green"),
            ("slow", "green", "amber"),
            ("stop", "amber", "red"),
            ("fail", ("red", "green", "amber"), "flashing"),
            ("repair", "flashing", "red"),
            ("retire", "flashing", "off"),
        ],
    )


def test_generic_workflow():
    light = traffic_light()
    assert light.initial == "red"
    assert light.states == ("red", "green", "amber", "flashing", "off")
    assert light.actions == ("go", "slow", "stop", "fail", "repair", "retire")
    assert light.allowed("red") == ["go", "fail"]
    assert light.allowed("flashing") == ["repair", "retire"]
    assert light.next_state("amber", "stop") == "red"
    assert light.next_state("green", "fail") == "flashing"
    assert light.is_final("off") and not light.is_final("red")


def test_workflow_is_exported():
    from orderflow import Workflow
    from orderflow.workflow import Workflow as same

    assert Workflow is same


def test_workflow_rejects_actions_that_are_not_allowed():
    light = traffic_light()
    with pytest.raises(InvalidTransition) as info:
        light.next_state("red", "stop")
    assert (info.value.order_id, info.value.status, info.value.action) == (None, "red", "stop")
    assert str(info.value) == "cannot stop when red"


def test_unknown_states_are_errors():
    light = traffic_light()
    for call in (lambda: light.allowed("blue"), lambda: light.next_state("blue", "go"), lambda: light.is_final("blue")):
        with pytest.raises(ValueError):
            call()


def test_duplicate_transitions_are_rejected():
    from orderflow.workflow import Workflow

    with pytest.raises(ValueError):
        Workflow("a", [("x", "a", "b"), ("x", ("b", "a"), "c")])
    Workflow("a", [("x", "a", "b"), ("x", "b", "c")])  # same action from different states is fine


def test_order_workflow_table():
    from orderflow import ORDER_WORKFLOW

    assert ORDER_WORKFLOW.initial == "new"
    assert ORDER_WORKFLOW.states == STATUSES
    assert ORDER_WORKFLOW.allowed("new") == ["pay", "cancel"]
    assert ORDER_WORKFLOW.allowed("paid") == ["ship", "cancel"]
    assert ORDER_WORKFLOW.allowed("cancelled") == ["refund"]
    assert ORDER_WORKFLOW.next_state("paid", "cancel") == "cancelled"
    assert ORDER_WORKFLOW.is_final("refunded")
    assert not ORDER_WORKFLOW.is_final("cancelled")
    assert Order("A", total=1).workflow is ORDER_WORKFLOW


def test_digital_orders():
    from orderflow import DIGITAL_WORKFLOW

    order = Order("D-1", total=500, clock=lambda: 7, workflow=DIGITAL_WORKFLOW)
    order.pay(500)
    assert order.allowed_actions() == ["deliver", "cancel"]
    with pytest.raises(InvalidTransition) as info:
        order.ship("T")
    assert str(info.value) == "order D-1: cannot ship when paid"
    order.deliver()
    assert order.allowed_actions() == ["refund"]
    order.refund()
    assert order.history == [("new", 7), ("paid", 7), ("delivered", 7), ("refunded", 7)]
    assert order.tracking is None
    assert "shipped" not in DIGITAL_WORKFLOW.states


def test_digital_order_cancel_and_refund_rules():
    from orderflow import DIGITAL_WORKFLOW

    unpaid = Order("D-2", total=500, clock=lambda: 0, workflow=DIGITAL_WORKFLOW)
    unpaid.cancel()
    assert unpaid.allowed_actions() == []
    with pytest.raises(InvalidTransition):
        unpaid.refund()
    paid = Order("D-3", total=500, clock=lambda: 0, workflow=DIGITAL_WORKFLOW)
    paid.pay(500)
    paid.cancel("duplicate")
    assert paid.refund_due and paid.can("refund")
    assert refunds_due([unpaid, paid]) == 500


def test_order_with_a_custom_workflow():
    from orderflow.workflow import Workflow

    pickup = Workflow(
        "new",
        [("pay", "new", "paid"), ("deliver", ("paid", "new"), "delivered"), ("refund", "delivered", "refunded")],
    )
    order = Order("P-1", total=900, clock=lambda: 0, workflow=pickup)
    assert order.allowed_actions() == ["pay", "deliver"]
    with pytest.raises(InvalidTransition, match="order P-1: cannot cancel when new"):
        order.cancel()
    order.deliver()
    assert order.status == "delivered"
    assert order.can("refund") and not order.can("pay")


# Behaviour that must not change.

def test_invalid_transition_is_the_same_class_everywhere():
    from orderflow.order import InvalidTransition as from_order

    assert from_order is orderflow.InvalidTransition
    order = Order("A-9", total=10, clock=lambda: 0)
    with pytest.raises(from_order) as info:
        order.deliver()
    assert str(info.value) == "order A-9: cannot deliver when new"
    assert (info.value.order_id, info.value.status, info.value.action) == ("A-9", "new", "deliver")


def test_status_is_checked_before_arguments():
    order = Order("A-1", total=10, clock=lambda: 0)
    order.pay(10)
    order.ship("T")
    with pytest.raises(InvalidTransition):
        order.pay(3)
    with pytest.raises(InvalidTransition):
        order.ship("")
    fresh = Order("A-2", total=10, clock=lambda: 0)
    with pytest.raises(ValueError) as info:
        fresh.pay(3)
    assert not isinstance(info.value, InvalidTransition)


def test_allowed_actions_in_every_status():
    seen = {}
    order = Order("A", total=10, clock=lambda: 0)
    seen["new"] = order.allowed_actions()
    order.pay(10)
    seen["paid"] = order.allowed_actions()
    order.ship("T")
    seen["shipped"] = order.allowed_actions()
    order.deliver()
    seen["delivered"] = order.allowed_actions()
    order.refund()
    seen["refunded"] = order.allowed_actions()
    assert seen == {
        "new": ["pay", "cancel"],
        "paid": ["ship", "cancel"],
        "shipped": ["deliver"],
        "delivered": ["refund"],
        "refunded": [],
    }


def test_refund_of_unpaid_cancelled_order_is_refused():
    order = Order("A-1", total=10, clock=lambda: 0)
    order.cancel()
    with pytest.raises(InvalidTransition) as info:
        order.refund()
    assert str(info.value) == "order A-1: cannot refund when cancelled"
    assert order.status == "cancelled"
    assert not order.can("refund")


def test_failed_actions_leave_the_order_unchanged():
    order = Order("A-1", total=10, clock=lambda: 0)
    order.pay(10)
    with pytest.raises(ValueError):
        order.ship("")
    with pytest.raises(InvalidTransition):
        order.refund()
    assert (order.status, order.tracking, order.history) == ("paid", None, [("new", 0), ("paid", 0)])


def test_reports_are_unchanged():
    a = Order("B", total=100, clock=lambda: 0)
    b = Order("A", total=200, clock=lambda: 0)
    b.pay(200)
    b.ship("T")
    assert list(status_counts([a, b]).items()) == [
        ("new", 1), ("paid", 0), ("shipped", 1), ("delivered", 0), ("cancelled", 0), ("refunded", 0),
    ]
    assert [o.order_id for o in open_orders([a, b])] == ["A", "B"]
    assert refunds_due([a, b]) == 0
    assert STATUSES == ("new", "paid", "shipped", "delivered", "cancelled", "refunded")
