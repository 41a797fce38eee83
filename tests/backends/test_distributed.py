"""A fit on a real Dask cluster: two worker processes hold the data, the optimizers update small NumPy
Variables, and every step equals the same fit on NumPy."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import tapegrad as tg

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _data(client):
    rng = da.random.default_rng(7)
    x = rng.standard_normal((4000, 3), chunks=(1000, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(4000, chunks=1000)
    x, y = client.persist([x, y])  # the data lives on the workers
    return x, y


def _fit(x, y, optimizer, steps):
    w, b = tg.Variable(np.zeros(3), name="w"), tg.Variable(np.float64(0.0), name="b")
    x, y = tg.constant(x), tg.constant(y)
    losses = []
    for _ in range(steps):
        with tg.GradientTape() as tape:
            r = x @ w + b - y
            loss = tg.reduce_mean(r * r)
        grads = tape.gradient(loss, [w, b])
        optimizer.apply_gradients(zip(grads, [w, b]))
        losses.append(loss)
    return w, b, losses


@pytest.mark.parametrize("make", [lambda: tg.optimizers.SGD(0.1), lambda: tg.optimizers.Adam(0.05)],
                         ids=["SGD", "Adam"])
def test_fit_on_a_cluster_equals_the_numpy_fit(client, make):
    x, y = _data(client)
    with distributed.get_task_stream(client) as stream:
        w, b, losses = _fit(x, y, make(), steps=15)
    assert isinstance(w.array, np.ndarray) and isinstance(losses[-1].array, da.Array)
    assert {task["worker"] for task in stream.data} == set(client.scheduler_info()["workers"])  # both worked
    xn, yn = client.compute([x, y], sync=True)
    wn, bn, losses_n = _fit(xn, yn, make(), steps=15)
    np.testing.assert_allclose(w.numpy(), wn.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.numpy(), bn.numpy(), rtol=1e-12, atol=1e-14)
    (last,) = tg.compute(losses[-1])
    np.testing.assert_allclose(last, losses_n[-1].numpy(), rtol=1e-12)
    assert last < 0.5 * losses_n[0].numpy()  # it did fit
