"""Chapter 10's first stage: the features of every labelled photo from a
pre-trained CNN, to HDF5 (the book's extract_features.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyimagesearch import bookdefaults as book
from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter
from pyimagesearch.io.imagedecoder import MAX_PIXELS, usable_batches
from pyimagesearch.io.imagefiles import labelled_image_files
from pyimagesearch.utils.epochplan import stored_order
from pyimagesearch.utils.files import refuse_existing
from pyimagesearch.utils.locks import output_lock
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

if TYPE_CHECKING:
    from pyimagesearch.nn.backbones import FeatureExtractor


def extract_backbone_features(
    images,
    outputPath,
    backbone,
    weights="imagenet",
    layer=None,
    meanPath=None,
    featureSize=None,
    flip=False,
    overwrite=False,
    distribute="auto",
    batchSize=16,
    log=print,
    **options,
):
    """`extract_features` with the extractor named as `feature_extractor`
    takes it; the output is checked before the network is loaded. Batches
    are split among the devices `distribute` chooses (`choose_replicas`),
    `batchSize` photos to each. `options` are `extract_features`'s."""
    from pyimagesearch.nn.backbones import feature_extractor
    from pyimagesearch.nn.parallel.replicas import choose_replicas

    refuse_existing([outputPath], overwrite)
    replicas = choose_replicas(distribute)
    log(f"[INFO] loading {backbone} ({replicas.describe()})...")
    with replicas.scope():
        extractor = feature_extractor(backbone, weights, layer, meanPath, featureSize, flip)
        extractor.replicas = replicas
        summary = extract_features(
            images,
            outputPath,
            extractor,
            replicas.process_batch(batchSize),
            overwrite=overwrite,
            **options,
        )
    summary["dim"] = extractor.dim
    return summary


def extract_features(
    images: str | os.PathLike,
    outputPath: str | os.PathLike,
    extractor: FeatureExtractor,
    batchSize: int = 16,
    bufSize: int = 1000,
    workers: int = DEFAULT_WORKERS,
    seed: int = book.SEED,
    overwrite: bool = False,
    maxPixels: int = MAX_PIXELS,
    progress: Callable[[int], Any] | None = None,
) -> dict:
    """Write the features of every labelled photo to `outputPath`.

    Args:
        images: a folder or .zip of photos named "<label>.<id>.<ext>".
        outputPath: the HDF5 file: data set "features" (N, D) float32,
            "labels" (N,), "label_names" and "image_names" (each row's
            photo), and the attributes "backbone" and "backbone_kind"
            (the extractor's `name` and `kind`, which tell the classifier
            whether the network may have trained on these photos),
            "input_size" and "flip" (how the photos were seen).
        extractor: a `pyimagesearch.nn.backbones.FeatureExtractor`.
        batchSize: photos per forward pass.
        seed: the photos are stored in a random order with this seed, so
            that a first/last split of the rows is a random split.
        maxPixels: photos declaring more pixels are skipped undecoded.
        progress: a callable(total) returning a progress bar, or None.

    Returns {"rows": N, "skipped": [{"file", "reason"}, ...]}.
    """
    with output_lock(outputPath):
        (_, labelled, skipped) = labelled_image_files(images)
        if not labelled:
            raise ValueError(f"{images} holds no photos named <label>.<id>.<ext>, like cat.0.jpg")
        classNames = sorted({f.label for f in labelled})
        order = stored_order(seed, len(labelled))
        labelled = [labelled[i] for i in order]

        bar = progress(len(labelled)) if progress else None
        with HDF5DatasetWriter(
            (len(labelled), extractor.dim),
            outputPath,
            dataKey="features",
            bufSize=bufSize,
            dtype="float32",
            overwrite=overwrite,
        ) as writer:
            writer.storeClassLabels(classNames)
            writer.db.attrs["backbone"] = extractor.name
            writer.db.attrs["backbone_kind"] = extractor.kind
            writer.db.attrs["input_size"] = extractor.inputSize
            writer.db.attrs["flip"] = extractor.flip
            names = []
            batches = usable_batches(
                labelled, extractor.resizer, batchSize, workers, skipped, maxPixels
            )
            for usable, done in batches:
                if usable:
                    features = extractor.extract([image for _, image in usable])
                    writer.add(features, [classNames.index(f.label) for f, _ in usable])
                    names += [f.name for f, _ in usable]
                if bar:
                    bar.update(done)
            if bar:
                bar.finish()
            rows = writer.idx + writer.buffered
            if rows == 0:
                raise ValueError(
                    f"{images}: none of the {len(labelled)} labelled photos is readable"
                )
            writer.storeStrings("image_names", names)
        return {"rows": rows, "skipped": skipped}
