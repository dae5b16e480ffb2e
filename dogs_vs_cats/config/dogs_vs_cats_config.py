"""The book's configuration for Kaggle Dogs vs Cats, plus the numbers its
scripts hard-coded. Every script flag defaults to a value here, or, for an
option the chapter shares, to its declaration in `ChapterSettings`
(pyimagesearch/pipeline/chapterstages.py: the book's numbers too).

Paths are under BASE_PATH: the folder named by the environment variable
DOGS_VS_CATS_ROOT when it is set; else, in a clone of the project, its
dogs_vs_cats folder (wherever the scripts are run from); else -- an
installed package -- the current directory, so that nothing is ever written
inside the installed package.
"""

import os

from pyimagesearch import bookdefaults as book

ROOT_VARIABLE = "DOGS_VS_CATS_ROOT"


def base_path():
    """The folder every default path is under (see the module's docstring)."""
    if os.environ.get(ROOT_VARIABLE):
        return os.path.abspath(os.environ[ROOT_VARIABLE])
    scripts = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(os.path.dirname(scripts), "pyproject.toml")):
        return scripts  # a clone, or an editable install of one
    return os.getcwd()


BASE_PATH = base_path()

# the Kaggle training photos (a folder, or train.zip itself) and test photos
IMAGES_PATH = os.path.join(BASE_PATH, "datasets", "kaggle_dogs_vs_cats", "train")
TEST_IMAGES_PATH = os.path.join(BASE_PATH, "datasets", "kaggle_dogs_vs_cats", "test1")

# the number of classes, and the validation and test images taken from the
# training photos
NUM_CLASSES = 2
NUM_VAL_IMAGES = book.VAL_IMAGES  # the book's 1250 * NUM_CLASSES
NUM_TEST_IMAGES = book.TEST_IMAGES

# the HDF5 files
HDF5_PATH = os.path.join(BASE_PATH, "datasets", "kaggle_dogs_vs_cats", "hdf5")
TRAIN_HDF5 = os.path.join(HDF5_PATH, "train.hdf5")
VAL_HDF5 = os.path.join(HDF5_PATH, "val.hdf5")
TEST_HDF5 = os.path.join(HDF5_PATH, "test.hdf5")
FEATURES_HDF5 = os.path.join(HDF5_PATH, "features.hdf5")

# the outputs: the trained model (Keras 3 saves .keras files), the training
# split's mean, plots, histories, records
OUTPUT_PATH = os.path.join(BASE_PATH, "output")
MODEL_PATH = os.path.join(OUTPUT_PATH, "alexnet_dogs_vs_cats.keras")
DATASET_MEAN = os.path.join(OUTPUT_PATH, "dogs_vs_cats_mean.json")
CLASSIFIER_PATH = os.path.join(OUTPUT_PATH, "dogs_vs_cats_logistic_regression.json")
SUBMISSION_PATH = os.path.join(OUTPUT_PATH, "submission.csv")

# numbers from the book's scripts (pyimagesearch/bookdefaults.py)
LEARNING_RATE = book.LEARNING_RATE
L2_REG = book.L2_REG
FEATURE_BATCH_SIZE = 16
FEATURE_BUFFER_SIZE = 1000
