"""The stages of chapters 9-10 and what runs them, a module each:

- `build`: photos -> train/val/test HDF5 splits and the training mean
- `training`: AlexNet trained (and resumed) on the splits; `cache` chooses
  where the training split is held, `feeds` feeds it
- `evaluation`: rank-1 with and without 10 crops (the crop_accuracy stage)
- `features`: CNN features of the photos -> HDF5
- `classifier`: logistic regression on the features, saved as JSON
  (`logisticsearch`: its search over C)
- `finetune`: the top of the network fine-tuned after the classifier
- `submission`: a Kaggle CSV; `deploy`: the one model that made it
- `chapterstages`: the settings, outputs and stages of a chapter run;
  `chapter` runs them; `records` reads back every record they write
- `reportdata` reads a run's outputs into data, `report` renders it

The scripts in dogs_vs_cats/ parse their arguments and call one of these.
Modules are imported on use: `from pyimagesearch.pipeline.build import
build_dataset` loads no deep-learning backend.
"""
