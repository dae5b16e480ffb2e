"""A small, deterministic stand-in for the Kaggle Dogs vs Cats photos.

Each picture is a noisy, randomly tinted background with a few distractor
blobs of any colour and one animal head: a cat is a red-to-yellow round head
with two pointed ears on top, a dog a cyan-to-violet round head with two
long ears hanging at its sides. Size, position and the picture's size and
aspect ratio vary independently of the class. Shape and colour together
make the classes easy enough for AlexNet to learn in a few epochs on a CPU. Saved as
real JPEG files in Kaggle's layout: train/cat.N.jpg, train/dog.N.jpg and
unlabelled test1/N.jpg.
"""

import os
import shutil

import cv2
import numpy as np

from pyimagesearch.errors import OutputExistsError

CLASSES = ("cat", "dog")


def draw_animal(label, rng):
    """One BGR uint8 picture of a cat (label 0) or a dog (label 1)."""
    height = int(rng.integers(120, 300))
    width = int(np.clip(height * rng.uniform(0.6, 1.6), 90, 480))
    background = rng.uniform(40, 215, 3)
    gradient = np.linspace(-30, 30, width)[None, :, None] * rng.uniform(-1, 1)
    image = background + gradient + rng.normal(0, 12, (height, width, 3))
    for _ in range(int(rng.integers(1, 4))):  # distractors, the same for both classes
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(5, width // 6 + 6)), int(rng.integers(5, height // 6 + 6)))
        cv2.ellipse(
            image,
            centre,
            axes,
            float(rng.uniform(0, 180)),
            0,
            360,
            rng.uniform(0, 255, 3).tolist(),
            -1,
        )

    radius = int(min(height, width) * rng.uniform(0.2, 0.28))
    margin = int(radius * 1.5)
    cx = int(rng.integers(margin, width - margin + 1))
    cy = int(rng.integers(margin, height - margin + 1))
    # OpenCV hues run 0-179: cats are red to yellow, dogs cyan to violet.
    hue = rng.uniform(0, 30) if CLASSES[label] == "cat" else rng.uniform(90, 140)
    hsv = np.uint8([[[hue, rng.uniform(150, 255), rng.uniform(120, 255)]]])
    colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(float).tolist()
    if CLASSES[label] == "cat":
        for side in (-1, 1):
            ear = np.array(
                [
                    [cx + side * radius * 1.0, cy - radius * 0.1],
                    [cx + side * radius * 0.1, cy - radius * 0.8],
                    [cx + side * radius * 0.9, cy - radius * 1.9],
                ],
                np.int32,
            )
            cv2.fillPoly(image, [ear], colour)
    else:
        for side in (-1, 1):
            cv2.ellipse(
                image,
                (int(cx + side * radius * 1.05), int(cy + radius * 0.5)),
                (int(radius * 0.4), int(radius * 1.1)),
                side * 15.0,
                0,
                360,
                colour,
                -1,
            )
    cv2.circle(image, (cx, cy), radius, colour, -1)
    eyes = (255 - np.array(colour)).tolist()
    for side in (-1, 1):
        cv2.circle(
            image,
            (int(cx + side * radius * 0.4), int(cy - radius * 0.15)),
            max(2, radius // 8),
            eyes,
            -1,
        )
    return np.clip(image, 0, 255).astype(np.uint8)


def write_sample(folder, per_class=300, test_images=100, seed=42, overwrite=False):
    """`make_sample` into `folder` as one step: it is written beside
    `folder` and moved there when complete, so a killed run leaves no
    half-filled sample (its leftovers are replaced next time). A non-empty
    `folder` is refused unless `overwrite`. Returns the two folders."""
    if os.path.exists(folder) and os.listdir(folder) and not overwrite:
        raise OutputExistsError(folder)
    partial = folder.rstrip("/") + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    make_sample(partial, per_class, test_images, seed)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    return os.path.join(folder, "train"), os.path.join(folder, "test1")


def make_sample(folder, per_class=300, test_images=100, seed=42):
    """Write `per_class` cats and dogs to folder/train and `test_images`
    unlabelled pictures of either class to folder/test1, as JPEG files.
    The same arguments always give the same files. Returns the two folders."""
    rng = np.random.default_rng(seed)
    train = os.path.join(folder, "train")
    test = os.path.join(folder, "test1")
    os.makedirs(train, exist_ok=True)
    os.makedirs(test, exist_ok=True)
    for i in range(per_class):
        for label, name in enumerate(CLASSES):
            image = draw_animal(label, rng)
            cv2.imwrite(
                os.path.join(train, f"{name}.{i}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90]
            )
    for i in range(1, test_images + 1):
        image = draw_animal(int(rng.integers(0, 2)), rng)
        cv2.imwrite(os.path.join(test, f"{i}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return train, test
