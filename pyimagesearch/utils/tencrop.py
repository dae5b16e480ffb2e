import os

import numpy as np

from pyimagesearch.utils.parallel import map_ranges


def predict_ten_crops(model, batches, cropper, progress=None, workers=None):
    """Class probabilities averaged over the crops of each image.

    Args:
        model: a Keras classifier taking (n, height, width, C) crops.
        batches: an iterable of image batches (n, H, W, C), already
            preprocessed (mean-subtracted) but not cropped.
        cropper: a `CropPreprocessor`; the crops of a whole batch of images
            go to the model in one call.
        progress: a progress bar to update once per batch, or None.
        workers: the parts each batch is cut in, on this process's threads
            (default: one per core). Cutting ten float32 crops writes ~6 MB
            per image and is bound by memory bandwidth, which more cores
            share out; OpenCV and NumPy release the GIL while they copy.

    Returns (N, classes) averaged probabilities, in the order of the images.
    Raises ValueError if the model returns NaN or infinite values.
    """
    workers = workers or os.cpu_count()
    averaged = []
    buffer = None
    for done, images in enumerate(batches, 1):
        shape = (len(images), 10 if cropper.horiz else 5, cropper.height, cropper.width,
                 images.shape[-1])
        if buffer is None or len(buffer) < len(images) or buffer.dtype != images.dtype:
            # one buffer for every batch: a fresh one costs page faults
            buffer = np.empty(shape, images.dtype)
        crops = buffer[:len(images)]
        map_ranges(lambda a, b: cropper.preprocess_batch(images[a:b], out=crops[a:b]),
                   len(images), workers)
        (count, per_image) = crops.shape[:2]
        preds = np.asarray(model.predict_on_batch(crops.reshape((-1,) + crops.shape[2:])))
        averaged.append(preds.reshape(count, per_image, -1).mean(axis=1))
        if progress is not None:
            progress.update(done)
    preds = np.concatenate(averaged)
    if not np.all(np.isfinite(preds)):
        raise ValueError("the model returned NaN or infinite probabilities")
    return preds
