from pyimagesearch.preprocessing.resize import ResizingPreprocessor, resize


class SimplePreprocessor(ResizingPreprocessor):
    """Resize to exactly (width, height) with `cv2.resize`, ignoring the
    aspect ratio.

    Args:
        width, height: the output size in pixels.
        inter: an OpenCV interpolation flag (default `cv2.INTER_AREA`).

    `preprocess`: (H, W, C) -> (height, width, C), dtype kept.
    `preprocess_batch`: (N, H, W, C) -> (N, height, width, C).
    """

    def preprocess(self, image):
        return resize(image, self.width, self.height, self.inter)
