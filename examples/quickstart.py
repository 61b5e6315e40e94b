"""A teacher, a student, the exact population loss and its gradient (featlearn in ten lines)."""
import jax
import featlearn

teacher = featlearn.make_teacher(d=20, m_star=3, key=jax.random.PRNGKey(0), a_star=[1.0, -1.0, 1.0])
k1, k2 = jax.random.split(jax.random.PRNGKey(1))
student = featlearn.Params(a=0.1 * jax.random.normal(k1, (64,)), W=jax.random.normal(k2, (64, 20)) / 20**0.5)
loss, grad = jax.value_and_grad(featlearn.population_loss)(student, teacher, "relu_trim")
print(f"exact population loss L = ½E[(f - f*)²] = {float(loss):.6f}")
print(f"‖∇_W L‖ = {float(jax.numpy.linalg.norm(grad.W)):.6f},  ‖∇_a L‖ = {float(jax.numpy.linalg.norm(grad.a)):.6f}")
