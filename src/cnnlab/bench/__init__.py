"""cnnlab.bench: the speed harness (`cnnlab bench`, bench/train_speed.py, bench/time_to_accuracy.py).

reference  the plain PyTorch training loop of the tutorials, the yardstick the trainer is measured against
speed      images/s of the trainer and of the reference in one process, FLOP/s against the matmul peak
"""
