from setuptools import find_packages, setup

setup(
    name="pyimagesearch-dogs-vs-cats",
    version="1.0.0",
    description=(
        "The pyimagesearch package and Kaggle Dogs vs Cats scripts of Deep Learning "
        "for Computer Vision with Python, ported to TensorFlow 2.21 / Keras 3"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["pyimagesearch*", "dogs_vs_cats*"]),
    install_requires=[
        "keras==3.15.1",
        "h5py>=3.10",
        "numpy>=1.26",
        "opencv-python-headless>=4.8",
        "scikit-learn>=1.3",
        "imutils>=0.5",
        "progressbar2>=4.2",
        "matplotlib>=3.7",
    ],
    extras_require={
        # Pick one: TensorFlow for the CPU only, or with the CUDA libraries.
        "cpu": ["tensorflow-cpu==2.21.0"],
        "gpu": ["tensorflow[and-cuda]==2.21.0"],
    },
    entry_points={
        "console_scripts": [
            "dogs-vs-cats-sample=dogs_vs_cats.make_sample:main",
            "dogs-vs-cats-build=dogs_vs_cats.build_dogs_vs_cats:main",
            "dogs-vs-cats-train=dogs_vs_cats.train_alexnet:main",
            "dogs-vs-cats-crop-accuracy=dogs_vs_cats.crop_accuracy:main",
            "dogs-vs-cats-extract-features=dogs_vs_cats.extract_features:main",
            "dogs-vs-cats-train-model=dogs_vs_cats.train_model:main",
            "dogs-vs-cats-predict=dogs_vs_cats.predict:main",
        ]
    },
)
