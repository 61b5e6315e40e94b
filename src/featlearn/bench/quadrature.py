r"""P7 of DESIGN §7.8: one population GD step with a quadrature activation ÷ the closed-form step.

Both steps are compiled `lax.scan`s of GD on L_λ at (d, m, m*) = (100, 256, 5), float64, timed in this
process: the closed form is relu_trim's fused arccos gradient (two matrix products and one elementwise
pass over the (m + m*)² pairs); the quadrature step is tanh's fused rule (1) of
`featlearn.gaussian.quadrature`, which evaluates σ and σ' at n² nodes per pair (n = 64 for tanh: 4096
evaluations per pair against one arccos). The ratio therefore scales like n² × (cost of tanh ÷ cost of
the arccos pass) and is reported with the node count.
"""

from __future__ import annotations

import jax

from featlearn.bench.population import _problem, gd_scan
from featlearn.bench.timing import best_time
from featlearn.gaussian.activations import get_activation


def p7(quick: bool = False, *, d: int = 100, m: int = 256, m_star: int = 5, activation: str = "tanh") -> dict:
    params, teacher = _problem(d, m, m_star)
    steps_closed, steps_quad = (20, 2) if quick else (100, 5)
    closed = jax.jit(gd_scan("relu_trim", steps=steps_closed))
    quad = jax.jit(gd_scan(activation, steps=steps_quad))
    t_closed = best_time(lambda: jax.block_until_ready(closed(params, teacher)), repeat=3) / steps_closed
    t_quad = best_time(lambda: jax.block_until_ready(quad(params, teacher)), repeat=2 if quick else 3) / steps_quad
    return {"P7": t_quad / t_closed, "P7_quadrature_step_ms": t_quad * 1e3, "P7_closed_form_step_ms": t_closed * 1e3,
            "P7_nodes": get_activation(activation).rule.nodes}
