"""The book's numbers for chapters 9 and 10, written once, and the rule
by which the chapter enlarges the features' size: the library's
signatures, the chapter's settings (`ChapterSettings`) and the scripts'
config (`dogs_vs_cats/config/dogs_vs_cats_config.py`) all default to these."""

SEED = 42
IMAGE_SIZE = 256  # build_dogs_vs_cats.py: AspectAwarePreprocessor(256, 256)
INPUT_SIZE = 227  # AlexNet's input: patches, resizes and crops of 227 x 227
BATCH_SIZE = 128
EPOCHS = 75
LEARNING_RATE = 1e-3  # Adam's, for a batch of 128 on one device
L2_REG = 0.0002
VAL_IMAGES = 2500  # the config's 1250 * NUM_CLASSES
TEST_IMAGES = 2500
BACKBONE = "resnet50"  # extract_features.py: ResNet50, ImageNet's weights
# extract_features.py: ResNet50's input, 224 x 224, the size most
# keras.applications networks were trained at (each network's own:
# `pyimagesearch.nn.backbones.native_size`)
FEATURE_SIZE = 224


def enlarged_feature_size(nativeSize):
    """The chapter's size for a keras.applications network's features: 9/7
    of the network's own input size `nativeSize`, to a multiple of 32
    (224 -> 288: MobileNetV2's held-out log loss on Kaggle's photos 0.037 ->
    0.027, see docs/measured.md). The book's extract_features.py keeps the
    network's own size."""
    return 32 * round(nativeSize * 9 / 7 / 32)
