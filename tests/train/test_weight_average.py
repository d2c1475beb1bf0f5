import torch
from torch import nn

from cnnlab.train.weight_average import WeightAverage


def test_ema_keeps_the_trained_weights_and_averages_buffers():
    model = nn.BatchNorm1d(2)
    ema = WeightAverage(model, decay=0.5, warmup=False)
    with torch.no_grad():
        model.running_mean.fill_(4.0)
    ema.step()
    assert torch.equal(model.running_mean, torch.full((2,), 4.0))
    torch.testing.assert_close(ema.average[[*model.state_dict()].index("running_mean")], torch.full((2,), 2.0))
    ema.copy_to_model()
    torch.testing.assert_close(model.running_mean, torch.full((2,), 2.0))


def test_ema_warmup_decay_follows_tensorflows_rule_and_is_capped():
    ema = WeightAverage(nn.Linear(2, 2), decay=0.99)
    seen = []
    for _ in range(1000):
        seen.append(ema.current_decay())
        ema.step()
    assert seen[0] == 1 / 10 and seen[1] == 2 / 11 and seen[100] == 101 / 110
    assert max(seen) == 0.99 and seen[-1] == 0.99  # (1 + n) / (10 + n) passes 0.99 at n = 890
    assert WeightAverage(nn.Linear(2, 2), decay=0.99, warmup=False).current_decay() == 0.99


def test_swapped_in_holds_the_average_inside_and_the_trained_weights_after():
    model = nn.Linear(3, 2)
    ema = WeightAverage(model, decay=0.5, warmup=False)
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


def test_state_round_trip_reads_the_older_key_too():
    ema = WeightAverage(nn.Linear(2, 2), 0.9)
    ema.step()
    again, old = WeightAverage(nn.Linear(2, 2), 0.9), WeightAverage(nn.Linear(2, 2), 0.9)
    again.load_state_dict(ema.state_dict())
    old.load_state_dict({"slow": ema.average, "steps": 1})  # as runs saved it when EMA was a Lookahead
    for other in (again, old):
        assert other.steps == 1 and all(torch.equal(a, b) for a, b in zip(other.average, ema.average))
