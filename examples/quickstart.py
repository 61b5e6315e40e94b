"""The README's "Ten lines of Python" (tests/examples/test_quickstart.py keeps the two identical)."""
import jax
import featlearn

teacher = featlearn.make_teacher(d=20, m_star=3, key=jax.random.PRNGKey(0), a_star=[1.0, -1.0, 1.0])
k1, k2 = jax.random.split(jax.random.PRNGKey(1))
student = featlearn.Params(a=0.1 * jax.random.normal(k1, (64,)), W=jax.random.normal(k2, (64, 20)) / 20**0.5)
loss, grad = jax.value_and_grad(featlearn.population_loss)(student, teacher, "relu_trim")
print(float(loss), grad.W.shape)   # exact ½E[(f − f*)²] for x ~ N(0, I_20), and ∂L/∂W (64, 20)
result = featlearn.run()           # the default three-stage run; result.summary is summary.json
