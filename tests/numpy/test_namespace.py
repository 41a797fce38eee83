"""``tapegrad.numpy``: NumPy's names and semantics, the same implementation behind np.<name>(tensor),
the methods of tensors, and how much of NumPy's public function list it covers."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tapegrad import _tensor

# Every name issue 11 lists (section 1), by namespace.
ISSUE_NAMES = """append atleast_1d atleast_2d atleast_3d column_stack row_stack dstack hsplit vsplit dsplit array_split
split roll rollaxis rot90 fliplr flipud diagonal kron cross diff ediff1d gradient meshgrid tri pad take_along_axis
put_along_axis delete insert absolute fabs fmax fmin remainder fmod true_divide deg2rad rad2deg degrees radians
logaddexp2 sinc nan_to_num heaviside copysign real imag conj angle sort partition median quantile percentile average
nansum nanmean nanmax nanmin ptp cumsum cumprod select piecewise interp convolve correlate outer inner vdot tensordot
einsum array asarray clip tile""".split()
LINALG_NAMES = """multi_dot svd pinv qr eigvalsh eigh eig eigvals lstsq matrix_power matrix_rank norm det slogdet inv
solve cholesky trace""".split()
FFT_NAMES = "fft ifft rfft irfft fft2 ifft2 fftn ifftn fftshift ifftshift".split()
METHODS = """ravel flatten squeeze reshape transpose swapaxes sum mean prod max min argmax argmin cumsum cumprod clip
dot round trace diagonal repeat take conj real imag astype var std item tolist all any nonzero sort""".split()


def _grad(f, *xs):
    xs = [tg.constant(np.asarray(x, dtype=np.float64)) for x in xs]
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [g.numpy() for g in tape.gradient(y, xs)]


def test_every_name_of_the_issue_exists():
    missing = [n for n in ISSUE_NAMES if not hasattr(tnp, n)]
    missing += [f"linalg.{n}" for n in LINALG_NAMES if not hasattr(tnp.linalg, n)]
    missing += [f"fft.{n}" for n in FFT_NAMES if not hasattr(tnp.fft, n)]
    missing += [f"Tensor.{n}" for n in METHODS if not hasattr(tg.Tensor, n)]
    assert not missing


def test_numpy_dispatch_reaches_the_same_functions():
    """np.<name>(tensor) for every issue name NumPy has: the function tapegrad.numpy wraps."""
    for namespace, names in ((np, ISSUE_NAMES), (np.linalg, LINALG_NAMES), (np.fft, FFT_NAMES)):
        for name in names:
            theirs = getattr(namespace, name, None)
            if theirs is None or name in ("array", "asarray"):  # constructors are not dispatched
                continue
            if isinstance(theirs, np.ufunc):
                assert theirs in _tensor.UFUNCS, name
            else:
                assert theirs in _tensor.FUNCTIONS, name
    x = tg.constant([3.0, 1.0, 2.0], dtype=tg.float64)
    assert tnp.roll(x, 1).numpy().tolist() == np.roll(x, 1).numpy().tolist() == [2.0, 3.0, 1.0]
    (g1,) = _grad(lambda x: tg.sum(np.sort(x) * [1.0, 2.0, 3.0]), [3.0, 1.0, 2.0])
    (g2,) = _grad(lambda x: tg.sum(tnp.sort(x) * [1.0, 2.0, 3.0]), [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(g1, [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(g2, g1)


def test_a_function_tapegrad_lacks_is_a_clear_error():
    with pytest.raises(TypeError, match="numpy.i0"):
        np.i0(tg.constant([1.0, 2.0]))
    with pytest.raises(AttributeError, match="i0"):
        tnp.i0  # noqa: B018


def test_numpy_forms_where_tensorflow_differs():
    x = tnp.arange(6.0)
    assert [p.shape for p in tnp.split(x, [1, 3])] == [(1,), (2,), (3,)]  # at indices (NumPy)
    assert [p.shape for p in tg.split(x, [1, 3, 2])] == [(1,), (3,), (2,)]  # sizes (TensorFlow)
    np.testing.assert_array_equal(tnp.clip(x, a_min=1.0, a_max=4.0).numpy(), np.clip(np.arange(6.0), 1, 4))
    np.testing.assert_array_equal(tnp.tile(tnp.array([1.0, 2.0]), reps=(2, 2)).numpy(), np.tile([1.0, 2.0], (2, 2)))
    assert tnp.array(2.0).dtype == np.float64 and tg.constant(2.0).dtype == np.float32
    assert tnp.sin(2.0).dtype == np.float64 and tnp.zeros(3).dtype == np.float64
    assert tnp.array([1, 2]).dtype == np.int64


def test_array_records_nested_lists_of_tensors_and_numbers():
    def f(t0, t1):
        a = tnp.array([[t0, 2.0], [t1 * t0, 1.0]])
        assert a.shape == (2, 2) and a.dtype == np.float64
        return tnp.sum(a * a)

    g0, g1 = _grad(f, 3.0, 5.0)
    # sum = t0^2 + 4 + t1^2 t0^2 + 1
    np.testing.assert_allclose([g0, g1], [2 * 3.0 + 2 * 25.0 * 3.0, 2 * 5.0 * 9.0])
    (g,) = _grad(lambda t: tnp.sum(tnp.asarray([t, t * 2.0]) ** 2), 1.5)
    np.testing.assert_allclose(g, 2 * 1.5 + 8 * 1.5)


def test_tensor_methods_match_numpy():
    a = np.array([[3.0, -1.0, 2.5], [0.5, 4.0, -2.0]])
    x = tg.constant(a)
    checks = {
        "ravel": (x.ravel(), a.ravel()), "flatten": (x.flatten(), a.flatten()),
        "squeeze": (x[None].squeeze(0), a), "swapaxes": (x.swapaxes(0, 1), a.swapaxes(0, 1)),
        "prod": (x.prod(axis=1, keepdims=True), a.prod(axis=1, keepdims=True)),
        "argmax": (x.argmax(axis=1), a.argmax(axis=1)), "argmin": (x.argmin(), a.argmin()),
        "cumsum": (x.cumsum(axis=1), a.cumsum(axis=1)), "cumprod": (x.cumprod(), a.cumprod()),
        "clip": (x.clip(min=0.0), a.clip(min=0.0)), "dot": (x.dot(x.T), a.dot(a.T)),
        "round": (x.round(decimals=1), a.round(1)), "trace": (x.trace(offset=1), a.trace(1)),
        "diagonal": (x.diagonal(1), a.diagonal(1)), "repeat": (x.repeat(2, axis=0), a.repeat(2, axis=0)),
        "take": (x.take([0, 2], axis=1), a.take([0, 2], axis=1)), "conj": (x.conj(), a.conj()),
        "real": (x.real, a.real), "imag": (x.imag, a.imag), "astype": (x.astype(np.float32), a.astype(np.float32)),
        "var": (x.var(axis=0, ddof=1), a.var(axis=0, ddof=1)), "std": (x.std(), a.std()),
        "all": (x.all(), a.all()), "any": (x.any(axis=0), a.any(axis=0)), "sort": (np.sort(x, 0), np.sort(a, 0)),
        "sum": (x.sum(axis=0, dtype=np.float32), a.sum(axis=0, dtype=np.float32)),
        "mean": (x.mean(keepdims=True), a.mean(keepdims=True)), "max": (x.max(axis=1), a.max(axis=1)),
        "min": (x.min(0), a.min(0)), "reshape": (x.reshape(3, 2), a.reshape(3, 2)),
        "transpose": (x.transpose(1, 0), a.transpose(1, 0)),
    }
    for name, (got, want) in checks.items():
        assert np.shape(got) == np.shape(want), name
        np.testing.assert_allclose(np.asarray(got.numpy()), want, err_msg=name)
    np.testing.assert_array_equal(x.reshape(2, 3, order="F").numpy(), a.reshape(2, 3, order="F"))
    np.testing.assert_array_equal(x.ravel("F").numpy(), a.ravel("F"))
    assert x.item(1) == -1.0 and isinstance(x.item(1), float)
    assert x.tolist() == a.tolist()
    assert [n.numpy().tolist() for n in x.nonzero()] == [v.tolist() for v in a.nonzero()]
    (g,) = _grad(lambda t: tg.sum(np.sort(t, axis=None) * np.arange(6.0)), a)  # the gradient goes to each position
    np.testing.assert_array_equal(g, np.argsort(np.argsort(a, axis=None)).reshape(a.shape).astype(float))


def _numpy_public_functions():
    """NumPy's public function list: callables of numpy, numpy.linalg and numpy.fft (no classes,
    types, modules or deprecated aliases)."""
    names = []
    for prefix, module in (("", np), ("linalg.", np.linalg), ("fft.", np.fft)):
        for name in getattr(module, "__all__", dir(module)):
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name)
            except AttributeError:
                continue
            if isinstance(obj, np.ufunc) or inspect.isfunction(obj) or inspect.isbuiltin(obj) or (
                    callable(obj) and type(obj).__name__ == "_ArrayFunctionDispatcher"):
                names.append(prefix + name)
    return sorted(set(names))


def test_coverage_of_numpy_public_functions(capsys):
    names = _numpy_public_functions()
    covered = []
    for name in names:
        space, _, leaf = name.rpartition(".")
        mine = {"": tnp, "linalg": tnp.linalg, "fft": tnp.fft}[space]
        try:
            getattr(mine, leaf)
        except AttributeError:
            continue
        covered.append(name)
    with capsys.disabled():
        print(f"\ntapegrad.numpy covers {len(covered)} of NumPy's {len(names)} public functions "
              f"(numpy, numpy.linalg, numpy.fft)")
    assert len(names) > 300  # the walk sees NumPy's list
    assert len(covered) >= 200
