"""`tpmri export --format onnx OUT`: the template encoder and the tracking step as ONNX files for deployment."""

from __future__ import annotations

import argparse
from pathlib import Path

from tpmri_core.errors import UserError
from tpmri_core.weights import resolve_model

FORMATS = ("onnx",)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="write the model as ONNX files (template encoder + tracking step) for ONNX Runtime or TensorRT",
        description="Write OUT/template_encoder.onnx and OUT/tracking_step.onnx from a weights file. The step "
        "takes TMR's state (alpha, response_gap) as inputs and returns the next one; shapes are fixed. Each "
        "file is checked by onnx.checker and compared with PyTorch on example inputs. See the README "
        "(Deployment) for the inputs, normalisation and a trtexec line.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="folder to write the .onnx files into")
    parser.add_argument("--weights", type=Path, help="TPMRI weights file (default: the bundled weights)")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="file format (default: onnx)")
    parser.add_argument("--batch", type=int, default=1,
                        help="crops per step: 1, or 2 for a tracker with mirror averaging (default: 1)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default: 17)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from tpmri_core.inference.onnx_export import export_graphs, largest_difference_from_pytorch

    if args.batch < 1:
        raise UserError(f"--batch must be at least 1, got {args.batch}")
    if not 11 <= args.opset <= 21:
        raise UserError(f"--opset {args.opset} is outside the supported 11..21")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"OUT {args.out} exists and is not a folder")
    resolved = resolve_model(None, args.weights, allow_untrained=False)
    try:
        graphs = export_graphs(resolved.model, args.out, batch=args.batch, opset=args.opset)
    except ValueError as error:
        raise UserError(str(error)) from None
    difference = largest_difference_from_pytorch(resolved.model, graphs, args.batch)
    print(f"{resolved.describe()} -> {graphs.template} and {graphs.step} (batch {args.batch}, opset {args.opset}; "
          f"onnx.checker passed; largest difference from PyTorch {difference:.1e})")
    return 0
