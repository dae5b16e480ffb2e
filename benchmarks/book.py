"""The book's own approach, re-implemented faithfully for side-by-side
measurements (chapters 9-10 of the Practitioner Bundle, with only the
Keras 3 renames needed to run: `predict` for `predict_generator`, the
legacy `ImageDataGenerator` from `tensorflow.keras.preprocessing.image`).

Nothing here is used by the project itself."""

import cv2
import h5py
import imutils
import numpy as np
from sklearn.feature_extraction.image import extract_patches_2d


class HDF5DatasetWriter:
    """The book's writer: a float64 ("float") data set, rows buffered."""

    def __init__(self, dims, outputPath, dataKey="images", bufSize=1000):
        self.db = h5py.File(outputPath, "w")
        self.data = self.db.create_dataset(dataKey, dims, dtype="float")
        self.labels = self.db.create_dataset("labels", (dims[0],), dtype="int")
        self.bufSize = bufSize
        self.buffer = {"data": [], "labels": []}
        self.idx = 0

    def add(self, rows, labels):
        self.buffer["data"].extend(rows)
        self.buffer["labels"].extend(labels)
        if len(self.buffer["data"]) >= self.bufSize:
            self.flush()

    def flush(self):
        i = self.idx + len(self.buffer["data"])
        self.data[self.idx : i] = self.buffer["data"]
        self.labels[self.idx : i] = self.buffer["labels"]
        self.idx = i
        self.buffer = {"data": [], "labels": []}

    def close(self):
        if len(self.buffer["data"]) > 0:
            self.flush()
        self.db.close()


class AspectAwarePreprocessor:
    def __init__(self, width, height, inter=cv2.INTER_AREA):
        self.width, self.height, self.inter = width, height, inter

    def preprocess(self, image):
        (h, w) = image.shape[:2]
        dW, dH = 0, 0
        if w < h:
            image = imutils.resize(image, width=self.width, inter=self.inter)
            dH = int((image.shape[0] - self.height) / 2.0)
        else:
            image = imutils.resize(image, height=self.height, inter=self.inter)
            dW = int((image.shape[1] - self.width) / 2.0)
        (h, w) = image.shape[:2]
        image = image[dH : h - dH, dW : w - dW]
        return cv2.resize(image, (self.width, self.height), interpolation=self.inter)


class SimplePreprocessor:
    def __init__(self, width, height, inter=cv2.INTER_AREA):
        self.width, self.height, self.inter = width, height, inter

    def preprocess(self, image):
        return cv2.resize(image, (self.width, self.height), interpolation=self.inter)


class PatchPreprocessor:
    def __init__(self, width, height):
        self.width, self.height = width, height

    def preprocess(self, image):
        return extract_patches_2d(image, (self.height, self.width), max_patches=1)[0]


class MeanPreprocessor:
    def __init__(self, rMean, gMean, bMean):
        self.rMean, self.gMean, self.bMean = rMean, gMean, bMean

    def preprocess(self, image):
        (B, G, R) = cv2.split(image.astype("float32"))
        R -= self.rMean
        G -= self.gMean
        B -= self.bMean
        return cv2.merge([B, G, R])


class ImageToArrayPreprocessor:
    def preprocess(self, image):
        from keras.utils import img_to_array

        return img_to_array(image)


class CropPreprocessor:
    def __init__(self, width, height, horiz=True, inter=cv2.INTER_AREA):
        self.width, self.height, self.horiz, self.inter = width, height, horiz, inter

    def preprocess(self, image):
        crops = []
        (h, w) = image.shape[:2]
        coords = [
            [0, 0, self.width, self.height],
            [w - self.width, 0, w, self.height],
            [w - self.width, h - self.height, w, h],
            [0, h - self.height, self.width, h],
        ]
        dW = int(0.5 * (w - self.width))
        dH = int(0.5 * (h - self.height))
        coords.append([dW, dH, w - dW, h - dH])
        for startX, startY, endX, endY in coords:
            crop = image[startY:endY, startX:endX]
            crop = cv2.resize(crop, (self.width, self.height), interpolation=self.inter)
            crops.append(crop)
        if self.horiz:
            mirrors = [cv2.flip(c, 1) for c in crops]
            crops.extend(mirrors)
        return np.array(crops)


class HDF5DatasetGenerator:
    """The book's generator: a per-image preprocessor loop, then `aug.flow`."""

    def __init__(self, dbPath, batchSize, preprocessors=None, aug=None, binarize=True, classes=2):
        self.batchSize = batchSize
        self.preprocessors = preprocessors
        self.aug = aug
        self.binarize = binarize
        self.classes = classes
        self.db = h5py.File(dbPath, "r")
        self.numImages = self.db["labels"].shape[0]

    def generator(self, passes=np.inf):
        from keras.utils import to_categorical

        epochs = 0
        while epochs < passes:
            for i in np.arange(0, self.numImages, self.batchSize):
                images = self.db["images"][i : i + self.batchSize]
                labels = self.db["labels"][i : i + self.batchSize]
                if self.binarize:
                    labels = to_categorical(labels, self.classes)
                if self.preprocessors is not None:
                    procImages = []
                    for image in images:
                        for p in self.preprocessors:
                            image = p.preprocess(image)
                        procImages.append(image)
                    images = np.array(procImages)
                if self.aug is not None:
                    (images, labels) = next(
                        self.aug.flow(images, labels, batch_size=self.batchSize)
                    )
                yield (images, labels)
            epochs += 1

    def close(self):
        self.db.close()


def build(paths, labels, outputPath, size=256):
    """build_dogs_vs_cats.py for one split: one process, float64 rows, the
    mean of the per-image means."""
    aap = AspectAwarePreprocessor(size, size)
    writer = HDF5DatasetWriter((len(paths), size, size, 3), outputPath)
    (R, G, B) = ([], [], [])
    for path, label in zip(paths, labels):
        image = cv2.imread(path)
        image = aap.preprocess(image)
        (b, g, r) = cv2.mean(image)[:3]
        R.append(r)
        G.append(g)
        B.append(b)
        writer.add([image], [label])
    writer.close()
    return {"R": np.mean(R), "G": np.mean(G), "B": np.mean(B)}


def ten_crop_predictions(model, images, means, size=227):
    """crop_accuracy.py: one `predict` per test image on its 10 crops."""
    cp = CropPreprocessor(size, size)
    iap = ImageToArrayPreprocessor()
    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    predictions = []
    for image in images:
        image = mp.preprocess(image)
        crops = cp.preprocess(image)
        crops = np.array([iap.preprocess(c) for c in crops], dtype="float32")
        pred = model.predict(crops, verbose=0)
        predictions.append(pred.mean(axis=0))
    return np.array(predictions)


def extract_features(model, paths, bs=16):
    """extract_features.py: `load_img` per image, batches of 16."""
    from keras.applications import imagenet_utils
    from keras.utils import img_to_array, load_img

    features = []
    for i in np.arange(0, len(paths), bs):
        batchImages = []
        for imagePath in paths[i : i + bs]:
            image = load_img(imagePath, target_size=(224, 224))
            image = img_to_array(image)
            image = np.expand_dims(image, axis=0)
            image = imagenet_utils.preprocess_input(image)
            batchImages.append(image)
        batchImages = np.vstack(batchImages)
        batch = model.predict(batchImages, batch_size=bs, verbose=0)
        features.append(batch.reshape((batch.shape[0], -1)))
    return np.vstack(features)
