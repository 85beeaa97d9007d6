"""``torchrun --nproc-per-node N -m genie_studio.train COMPONENT --data DIR --out MODEL [...]``

The same arguments as ``genie-studio train``; each process trains on its share of every global batch
(DistributedDataParallel, gloo on CPU, nccl on CUDA).
"""

import argparse
import sys

from genie_studio.commands import train as train_cmd

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m genie_studio.train", description=__doc__)
    train_cmd.add_arguments(parser)
    sys.exit(train_cmd.run(parser.parse_args()))
