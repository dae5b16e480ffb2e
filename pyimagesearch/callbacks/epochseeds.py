from __future__ import annotations

import keras

from pyimagesearch.nn.trainingmodel import seed_generators
from pyimagesearch.utils.epochplan import EpochPlan


class EpochSeeds(keras.callbacks.Callback):
    """At the start of each epoch, set the state of every random layer of
    the model from (`seed`, the layer's place, the epoch).

    Keras's random layers keep a running state that a saved model does not
    restore, so a resumed run would replay the draws of its first epoch;
    with this callback, epoch `e` draws the same random numbers whether the
    run got there straight or resumed from a checkpoint
    (`pyimagesearch.utils.epochplan.EpochPlan.layer_state`).
    """

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self.draws = EpochPlan(seed)

    def on_epoch_begin(self, epoch, logs=None):
        for place, generator in enumerate(seed_generators(self.model)):
            state = self.draws.layer_state(place, epoch)
            generator.state.assign(keras.ops.convert_to_tensor(state, generator.state.dtype))
