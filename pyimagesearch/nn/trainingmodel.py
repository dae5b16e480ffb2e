from __future__ import annotations

import keras
from keras import ops


def _replicas_in_sync() -> int:
    """The replicas that each compute a part of a step: TensorFlow's
    `tf.distribute` replicas, 1 elsewhere (JAX computes every step on the
    whole, sharded batch)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def _sum_over_replicas(value):
    """`value` summed over the replicas of a TensorFlow step; itself elsewhere."""
    if _replicas_in_sync() == 1:
        return value
    import tensorflow as tf

    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, value)


def seed_generators(layer: keras.Layer) -> list[keras.random.SeedGenerator]:
    """Every `keras.random.SeedGenerator` of `layer` and of the layers inside
    it, in a fixed order (`Dropout`'s, `RandomPatch`'s, `ImageAugmenter`'s)."""
    found = [
        value for value in vars(layer).values() if isinstance(value, keras.random.SeedGenerator)
    ]
    for inner in getattr(layer, "layers", []):
        found += seed_generators(inner)
    return found


# Added to a seed's first word, times the replica's number: each replica
# of a step draws from a stream of its own (an odd constant, far from the
# small steps EpochSeeds and the layers take).
REPLICA_SEED_STRIDE = 0x9E3779B1


def draw_per_replica(model) -> None:
    """Make every random layer of `model` draw differently on each of
    TensorFlow's replicas.

    Keras's `SeedGenerator` is one mirrored state: under
    `tf.distribute`, every replica of a step reads the same seed, so row k
    of each replica's part of the batch got the same dropout mask, crop and
    warp (keras-team/keras#20611). Each generator's seed is offset by the
    replica's number, in the replica's own graph; the state, and so the
    sequence EpochSeeds sets per epoch, is unchanged. With one replica, or
    outside TensorFlow (JAX's sharded batch draws per row), draws are as
    they were."""

    if keras.backend.backend() != "tensorflow":
        return
    for generator in seed_generators(model):
        if not getattr(generator, "drawsPerReplica", False):
            generator.next = _offset_by_replica(generator.next)
            generator.drawsPerReplica = True


def _offset_by_replica(draw):
    import tensorflow as tf

    def next(ordered=True):
        seed = draw(ordered)
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return seed
        replica = tf.cast(context.replica_id_in_sync_group, "int64")
        first = (tf.cast(seed[0], "int64") + replica * REPLICA_SEED_STRIDE) % 2**31
        return tf.stack([tf.cast(first, seed.dtype), seed[1]])

    return next


def normalize_over_replicas(model) -> None:
    """Make every `BatchNormalization` of `model` normalise with, and update
    its moving statistics from, the whole step's batch on TensorFlow's
    replicas, as one device and JAX's sharded batch do.

    Alone, each replica took the mean and variance of its own part of the
    batch: the replicas' moving statistics drifted apart (they are mirrored
    variables that each replica assigns on its own), validation inside
    `fit` ran each replica with its own, and only replica 0's were saved.
    Keras's synchronised moments (sums all-reduced over the replicas) give
    every replica the same statistics, and so the same updates. They are
    switched on in the replicas' graphs, not through the layer's
    `synchronized` argument: a saved model keeps its configuration, and
    loads on JAX (which refuses `synchronized=True`). With one replica, or
    outside TensorFlow, the layers are as they were."""
    if keras.backend.backend() != "tensorflow":
        return
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization) and not getattr(
            layer, "normalizesOverReplicas", False
        ):
            layer._moments = _moments_over_replicas(layer, layer._moments)
            layer.normalizesOverReplicas = True


def _moments_over_replicas(layer, moments):
    def over_replicas(inputs, mask):
        if _replicas_in_sync() == 1:
            return moments(inputs, mask)
        if mask is not None:
            # Keras's masked moments are per replica
            raise NotImplementedError(
                f"{layer.name}: batch normalisation of masked inputs on "
                f"{_replicas_in_sync()} TensorFlow replicas; train on one device or on JAX"
            )
        return ops.moments(inputs, axes=layer._reduction_axes, synchronized=True)

    return over_replicas


@keras.saving.register_keras_serializable(package="pyimagesearch")
class TrainingModel(keras.Sequential):
    """A `keras.Sequential` classifier (softmax outputs, one-hot labels)
    whose loss, gradient and logged figures count only the rows of a batch
    with a sample weight above 0.

    Batches split among several devices are padded with weight-0 copies of
    their rows (`pyimagesearch.utils.batchplan`). Keras alone lets
    those copies leak into what it reports and into the update: `accuracy`
    counts them (weights reach only `weighted_metrics`), the epoch `loss`
    averages batches by their padded size, and on TensorFlow each replica's
    loss is the mean over its own rows, so that the update averages the
    replicas' means instead of the batch's rows, and the regularization
    losses are counted once per replica. Here, for each step:

    - loss = sum(weight * cross-entropy) / sum(weight) over the whole step's
      batch (all replicas together), plus the regularization losses once:
      on one device, on TensorFlow's replicas and on JAX's sharded batch,
      the update is the one-device update on the real rows;
    - "loss" and "accuracy" in the logs are means over the real rows of
      the pass so far (the loss with the regularization of each step);
    - the weights say only which rows are real: a row of weight 2 counts
      as much as a row of weight 1.

    Compile it without a `loss` or `metrics` (they are these); the outputs
    must be probabilities, as from AlexNet's softmax.

    `network` names the layer that is the network being trained (the one a
    run saves, whose input size a resumed run checks): it is found by that
    name, whatever layers come before or after it, and saved with the model.
    """

    def __init__(self, layers=None, network=None, **kwargs):
        super().__init__(layers, **kwargs)
        self.networkName = network
        self.rowLoss = keras.metrics.Mean(name="loss")
        self.rowAccuracy = keras.metrics.CategoricalAccuracy(name="accuracy")

    def train_step(self, *args, **kwargs):
        # traced once per replica; no-ops after the first
        draw_per_replica(self)
        normalize_over_replicas(self)
        return super().train_step(*args, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        real = (
            ops.ones((ops.shape(y_pred)[0],), "float32")
            if sample_weight is None
            else ops.cast(ops.reshape(sample_weight, (-1,)) > 0, "float32")
        )
        crossentropy = ops.cast(keras.losses.categorical_crossentropy(y, y_pred), "float32")
        rowsHere = ops.sum(real)
        lossHere = ops.sum(real * crossentropy)
        # one reduction, as Keras sums them: a chain of Python additions made
        # TensorFlow's results differ by a float32 ulp from run to run
        regularization = ops.sum(
            [ops.cast(ops.sum(loss), "float32") for loss in self.losses] or [0.0]
        )
        # each replica's gradient is summed with the others'
        loss = (
            ops.divide_no_nan(lossHere, _sum_over_replicas(rowsHere))
            + regularization / _replicas_in_sync()
        )
        self.rowLoss.update_state(crossentropy + regularization, sample_weight=real)
        self.rowAccuracy.update_state(y, y_pred, sample_weight=real)
        return loss

    @property
    def metrics(self):
        return [self.rowLoss, self.rowAccuracy]

    @property
    def network(self) -> keras.Layer:
        """The layer named `network` when the model was made."""
        return self.get_layer(self.networkName)

    def get_config(self):
        return {**super().get_config(), "network": self.networkName}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = super().from_config(config, custom_objects)
        # a checkpoint of version 1.2.0 or earlier has no name: its network is last
        model.networkName = config.get("network") or config["layers"][-1]["config"]["name"]
        return model
