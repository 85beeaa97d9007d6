"""Evaluate a model on a dataset: tokenizer PSNR/SSIM, LAM NMI/accuracy, dynamics PSNR and dPSNR."""

from genie_studio.commands._common import add_model_arg, not_landed


def add_arguments(p):
    add_model_arg(p)
    p.add_argument("--data", required=True)
    p.add_argument("--json", action="store_true")


def run(args):
    return not_landed("evaluation", 4)
