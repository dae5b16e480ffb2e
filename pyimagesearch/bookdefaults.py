"""The book's numbers for chapters 9 and 10, written once: the library's
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
