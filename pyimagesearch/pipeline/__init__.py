"""The stages of chapters 9-10, in the order they run, one module each:

- `build`: photos -> train/val/test HDF5 splits and the training mean
- `training`: AlexNet trained (and resumed) on the splits; `cache` chooses
  where the training split is held
- `evaluation`: rank-1 with and without 10 crops
- `features`: CNN features of the photos -> HDF5
- `classifier`: logistic regression on the features, saved as JSON
- `submission`: a Kaggle CSV from the AlexNet or the classifier

The scripts in dogs_vs_cats/ parse their arguments and call one of these.
Modules are imported on use: `from pyimagesearch.pipeline.build import
build_dataset` loads no deep-learning backend.
"""
