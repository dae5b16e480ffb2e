"""Where a model runs: the devices and processes of a run (`devices`,
`replicas`, `processes`); how batches are cut and padded for them is
`pyimagesearch.utils.batchplan`."""
