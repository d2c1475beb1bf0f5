import torch
from torch import nn

from cnnlab.train.lookahead import Lookahead


def test_lookahead_update_rule_every_k_steps():
    model = nn.Linear(3, 2)
    start = [p.detach().clone() for p in model.parameters()]
    la = Lookahead(model, decay=0.8, every=2)
    for step in range(1, 5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)  # a stand-in optimiser step: fast moves by +1
        fast = [p.detach().clone() for p in model.parameters()]
        la.step()
        if step == 2:
            # slow = 0.8 * start + 0.2 * (start + 2); fast is reset to slow
            for p, s in zip(model.parameters(), start):
                torch.testing.assert_close(p.detach(), s + 0.4)
        elif step == 1:
            for p, f in zip(model.parameters(), fast):
                assert torch.equal(p.detach(), f)  # between updates nothing changes
    # step 4: slow = 0.8 * (s + 0.4) + 0.2 * (s + 0.4 + 2) = s + 0.8
    for p, s in zip(model.parameters(), start):
        torch.testing.assert_close(p.detach(), s + 0.8)


def test_state_round_trip():
    model = nn.Linear(2, 2)
    la = Lookahead(model, 0.9, 3)
    la.step()
    again = Lookahead(nn.Linear(2, 2), 0.9, 3)
    again.load_state_dict(la.state_dict())
    assert again.steps == 1 and all(torch.equal(a, b) for a, b in zip(again.slow.average, la.slow.average))


def test_lookahead_state_keeps_the_keys_of_saved_runs():
    la = Lookahead(nn.Linear(2, 2), 0.5, 1)
    la.step()
    assert set(la.state_dict()) == {"slow", "steps"}
