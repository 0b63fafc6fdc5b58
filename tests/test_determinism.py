"""Same seed, same output: across calls, loads, block boundaries, worker counts and training runs."""

import itertools

import pytest
import torch

from molgan.sampling.model import load
from molgan.sampling.sampler import BLOCK, SamplingOptions, generate_block, iter_graph_blocks
from molgan.sampling.stream import stream_raw


def test_same_seed_same_raw_samples_across_calls_and_loads(tiny_model, tiny_model_dir):
    first = tiny_model.sample_raw(300, seed=7)
    assert tiny_model.sample_raw(300, seed=7) == first
    assert load(tiny_model_dir).sample_raw(300, seed=7) == first
    assert tiny_model.sample_raw(300, seed=8) != first


def test_a_shorter_sample_is_a_prefix_of_a_longer_one(tiny_model):
    long = tiny_model.sample_raw(BLOCK + 50, seed=1)
    assert tiny_model.sample_raw(BLOCK - 1, seed=1) == long[: BLOCK - 1]
    assert tiny_model.sample_raw(BLOCK + 1, seed=1) == long[: BLOCK + 1]
    assert tiny_model.sample(5, seed=1) == [s for s in long if s][:5]


def test_blocks_do_not_depend_on_each_other(tiny_model):
    options = SamplingOptions(decoding="sample")
    stream = iter_graph_blocks(tiny_model.generator, 4, options)
    next(stream)
    second = next(stream)
    alone = generate_block(tiny_model.generator, 4, 1, options)
    assert all((a == b).all() for a, b in zip(second, alone))
    resumed = next(iter_graph_blocks(tiny_model.generator, 4, options, start_block=1))
    assert all((a == b).all() for a, b in zip(second, resumed))


def test_global_torch_rng_does_not_change_samples(tiny_model):
    torch.manual_seed(1)
    a = tiny_model.sample_raw(100, seed=2)
    torch.manual_seed(2)
    torch.rand(10)
    assert tiny_model.sample_raw(100, seed=2) == a


def test_stream_raw_is_the_same_for_one_and_two_workers(tiny_model):
    def blocks(jobs, correct):
        graphs = itertools.islice(tiny_model.iter_graphs(seed=5), 2)
        return [s for block in stream_raw(graphs, tiny_model.vocab, jobs=jobs, correct=correct) for s in block]

    assert blocks(1, False) == tiny_model.sample_raw(2 * BLOCK, seed=5, discriminator_keep=1.0)  # the plain generator
    one = blocks(1, True)  # the correction flag must reach the worker processes too
    assert len(one) == 2 * BLOCK
    assert blocks(2, True) == one
    assert one == tiny_model.sample_raw(2 * BLOCK, seed=5, correct=True, discriminator_keep=1.0)


@pytest.mark.slow  # over 5 s here (real processes)
def test_workers_that_sample_whole_blocks_give_the_models_own_output(tiny_model, tiny_model_dir):
    from molgan.sampling.model import load
    from molgan.sampling.stream import stream_model_raw

    def blocks(**kwargs):
        stream = stream_model_raw(tiny_model_dir / "best", 5, jobs=2, decoding="sample", temperature=1.0, **kwargs)
        out = [s for block in itertools.islice(stream, 3) for s in block]
        stream.close()
        return out

    assert blocks() == tiny_model.sample_raw(3 * BLOCK, seed=5, discriminator_keep=1.0)
    # the model's default rejection, rejected graphs marked in their places, as in one process
    assert blocks(discriminator_keep=0.8) == tiny_model.sample_raw(3 * BLOCK, seed=5, discriminator_keep=0.8, mark_rejected=True)
    narrow = load(tiny_model_dir / "best", noise_scale=0.05)  # options and a later start in one pool
    expected = narrow.sample_raw(4 * BLOCK, seed=5, correct=True, discriminator_keep=1.0)[BLOCK:]
    assert blocks(noise_scale=0.05, correct=True, start_block=1) == expected
