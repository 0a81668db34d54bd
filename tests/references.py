"""References the tests check the library against, written once and independently of rnnviz's own code:
the fused torch module run one step at a time (autograd flows through it, and hooks add to h_t and c_t),
gates recomputed from the raw weights, and weight snapshots."""
from __future__ import annotations

import torch


def weights(model) -> list[torch.Tensor]:
    """A snapshot of every parameter."""
    return [p.detach().clone() for p in model.parameters()]


def same(a, b) -> bool:
    """Two snapshots are equal bit for bit."""
    return len(a) == len(b) and all(torch.equal(p, q) for p, q in zip(a, b))


def raw_gates(model, e, h_prev) -> dict[str, torch.Tensor]:
    """Gates recomputed from the raw weights: e (T, E) inputs, h_prev (T, H) previous hidden states."""
    rnn = model.rnn
    gi = e @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
    gh = h_prev @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    if model.cfg.cell == "lstm":
        i, f, g, o = (gi + gh).chunk(4, dim=1)
        return {"input": torch.sigmoid(i), "forget": torch.sigmoid(f), "candidate": torch.tanh(g),
                "output": torch.sigmoid(o)}
    if model.cfg.cell == "gru":
        ir, iz, in_ = gi.chunk(3, dim=1)
        hr, hz, hn = gh.chunk(3, dim=1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        return {"reset": r, "update": z, "candidate": torch.tanh(in_ + r * hn)}
    act = torch.tanh if model.cfg.nonlinearity == "tanh" else torch.relu
    return {"h": act(gi + gh)}


def stepwise_states(model, x, dh=None, dc=None, window=None) -> torch.Tensor:
    """Run the FUSED module one step at a time, the state carried -> hidden states (T, H).

    dh[t] (H,) is added to h_t after step t (it feeds the output at t and step t+1). For an LSTM dc[t] is
    added to c_t and h_t follows it (h_t = o_t tanh(c_t), o_t recomputed from the raw weights), so the
    derivative with respect to dc[t] is the total dL/dc_t. window = k: the state entering 0-based step t
    is detached when t % k == 0 (truncated BPTT, chunks aligned from t = 1 in 1-based steps)."""
    cell = model.cfg.cell
    e = model.embed(x).unsqueeze(0)                            # (1, T, E)
    state, hs = None, []
    h_prev = e.new_zeros(1, model.rnn.hidden_size)
    for t in range(x.shape[0]):
        if window and t % window == 0 and state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        _, state = model.rnn(e[:, t:t + 1], state)
        if cell == "lstm":
            h, c = state                                       # (1, 1, H) each
            if dc is not None:
                o = raw_gates(model, e[0, t:t + 1], h_prev)["output"]
                c2 = c + dc[t]
                h = h + o * (torch.tanh(c2) - torch.tanh(c))
                c = c2
            if dh is not None:
                h = h + dh[t]
            state = (h, c)
        else:
            h = state if dh is None else state + dh[t]
            state = h
        h_prev = h[0]
        hs.append(h[0, 0])
    return torch.stack(hs)                                     # (T, H)
