"""Adam and SGD as a few fused (`torch._foreach_*`) updates, plus global-norm gradient clipping.

Same maths as torch.optim.Adam / SGD (tests compare them step by step). Written out because
`torch.optim` imports torch._dynamo on first use, ~3 s of a page's first load, and because the
update is easier to read here than across torch's dispatch layers.
"""
from __future__ import annotations

import math

import torch


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction; torch.optim.Adam defaults otherwise."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params]
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]     # first moments
        self.v = [torch.zeros_like(p) for p in self.params]     # second moments
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        grads = [p.grad for p in self.params]
        self.t += 1
        torch._foreach_lerp_(self.m, grads, 1 - self.b1)         # m = b1 m + (1 - b1) g
        torch._foreach_mul_(self.v, self.b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.b2)  # v = b2 v + (1 - b2) g^2
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_div_(denom, math.sqrt(bc2))
        torch._foreach_add_(denom, self.eps)                     # sqrt(v / bc2) + eps
        torch._foreach_addcdiv_(self.params, self.m, denom, value=-self.lr / bc1)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


class SGD(Adam):
    """Plain stochastic gradient descent: p -= lr * g."""

    def __init__(self, params, lr: float = 1e-2):
        self.params, self.lr = [p for p in params], lr

    @torch.no_grad()
    def step(self) -> None:
        torch._foreach_add_(self.params, [p.grad for p in self.params], alpha=-self.lr)


@torch.no_grad()
def clip_grad_norm(params, max_norm: float) -> torch.Tensor:
    """Scale all gradients together so their global L2 norm is at most max_norm; returns the norm
    before clipping (inf/nan when a gradient is not finite, in which case nothing is scaled)."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    coef = max_norm / (float(total) + 1e-6)
    if coef < 1 and math.isfinite(coef):
        torch._foreach_mul_(grads, coef)
    return total


class DivergenceGuard:
    """The NaN guard of every training loop: keeps the weights of the last step whose loss and gradient
    were finite, and puts them back when a loss or gradient is not.

        guard = DivergenceGuard(params)
        ...loss...;    msg = guard.loss(step, loss_v)      # a message (and the weights restored), or None
        ...backward;   msg = guard.grad(step, gnorm_v)     # the same for the gradient norm
        guard.commit(); opt.step()                         # these weights gave a finite loss and gradient
    """

    def __init__(self, params, hint: str = "Try a smaller learning rate or gradient clipping."):
        self.params = list(params)
        self.good = [p.detach().clone() for p in self.params]
        self.hint = hint

    def loss(self, step: int, value: float) -> str | None:
        if math.isfinite(value):
            return None
        self.restore()
        return (f"training diverged at step {step} (loss is {value}); the weights of step {step - 1} were kept. "
                f"{self.hint}")

    def grad(self, step: int, norm: float, hint: str | None = None) -> str | None:
        if math.isfinite(norm):
            return None
        self.restore()
        return (f"training diverged at step {step} (the gradient overflowed); the weights of step {step - 1} "
                f"were kept. {hint or self.hint}")

    @torch.no_grad()
    def commit(self) -> None:
        torch._foreach_copy_(self.good, [p.detach() for p in self.params])

    @torch.no_grad()
    def restore(self) -> None:
        torch._foreach_copy_(self.params, self.good)
