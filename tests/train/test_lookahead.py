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


def test_ema_without_copy_back_keeps_fast_weights_and_averages_buffers():
    model = nn.BatchNorm1d(2)
    la = Lookahead(model, decay=0.5, every=1, copy_back=False)
    with torch.no_grad():
        model.running_mean.fill_(4.0)
    la.step()
    assert torch.equal(model.running_mean, torch.full((2,), 4.0))
    torch.testing.assert_close(la.slow[[*model.state_dict()].index("running_mean")], torch.full((2,), 2.0))
    la.sync()
    torch.testing.assert_close(model.running_mean, torch.full((2,), 2.0))


def test_state_round_trip():
    model = nn.Linear(2, 2)
    la = Lookahead(model, 0.9, 3)
    la.step()
    again = Lookahead(nn.Linear(2, 2), 0.9, 3)
    again.load_state_dict(la.state_dict())
    assert again.steps == 1 and all(torch.equal(a, b) for a, b in zip(again.slow, la.slow))


def test_ema_warmup_decay_follows_tensorflows_rule_and_is_capped():
    la = Lookahead(nn.Linear(2, 2), decay=0.99, every=1, copy_back=False, warmup=True)
    seen = []
    for _ in range(1000):
        seen.append(la.current_decay())
        la.step()
    assert seen[0] == 1 / 10 and seen[1] == 2 / 11 and seen[100] == 101 / 110
    assert max(seen) == 0.99 and seen[-1] == 0.99  # (1 + n) / (10 + n) passes 0.99 at n = 890
    assert Lookahead(nn.Linear(2, 2), decay=0.99, warmup=False).current_decay() == 0.99


def test_swapped_in_holds_the_average_inside_and_the_trained_weights_after():
    model = nn.Linear(3, 2)
    ema = Lookahead(model, decay=0.5, every=1, copy_back=False)
    start = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(2.0)
    ema.step()  # average = start + 1
    trained = [p.detach().clone() for p in model.parameters()]
    with ema.swapped_in():
        for p, s in zip(model.parameters(), start):
            torch.testing.assert_close(p.detach(), s + 1.0)
    assert all(torch.equal(p.detach(), t) for p, t in zip(model.parameters(), trained))
