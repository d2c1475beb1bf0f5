"""`cnnlab filter`: apply a kernel to an image or a 2-D array and save input | kernel | output side by side;
`cnnlab filter --gallery [IMAGE]`: the lectures' kernel table on a photograph, one labelled grid."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from cnnlab.cli._arrays import add_json_option, parse_array
from cnnlab.cli.common import add_command, print_json
from cnnlab.conv import correlate, kernels
from cnnlab.errors import CnnlabError
from cnnlab.picture_files import check_pixel_values, decode_picture, read_npy

EXAMPLES = (
    """\
  $ python -c "import numpy as np; x = np.zeros((32, 32)); x[8:24, 8:24] = 1; np.save('square.npy', x)"
  $ cnnlab filter square.npy --kernel sobel_x
  square.npy: 1x32x32 (gray) * sobel_x 3x3, mode same -> 32x32, values -4 .. 4
  wrote square_sobel_x.png
  $ cnnlab filter square.npy --kernel gaussian --size 5 --sigma 1.5 --out smooth.png --npy smooth.npy
  square.npy: 1x32x32 (gray) * gaussian 5x5, mode same -> 32x32, values 0 .. 1
  wrote smooth.png and smooth.npy
  $ cnnlab filter photo.jpg --kernel '0.25,0,-0.25;0.5,0,-0.5;0.25,0,-0.25'    # the lecture's edge kernel
  $ cnnlab filter --gallery                      # scikit-image's camera photograph
  gallery: camera (scikit-image) 512x512 (gray), 10 kernels -> gallery_camera.png
  $ cnnlab filter --gallery photo.jpg --out table.png --json
The kernel is applied as cross-correlation (what a conv layer computes) with zero padding, once per
colour channel. --json prints the shapes, the kernel, the value range and the files written.
kernels: """
    + ", ".join(kernels.names())
    + "\n"
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def load_input(path: Path) -> np.ndarray:
    """.npy -> its 2-D array; PNG/JPEG -> (C, H, W) floats in [0, 1] (C = 1 gray, 3 colour)."""
    if not path.is_file():
        raise CnnlabError(f"input file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        a = read_npy(path)
        if a.ndim != 2 or a.dtype.kind not in "biufc":
            raise CnnlabError(f"{path} holds a {a.ndim}-D {a.dtype} array; filter needs a 2-D numeric array")
        return check_pixel_values(a, path).astype(np.float64)[None]
    if suffix not in IMAGE_SUFFIXES:
        raise CnnlabError(f"cannot read {path.name}: give a .png, .jpg, .jpeg or .npy file")
    # (channels, H, W); any size up to MAX_PIXELS: a photograph to filter is not a model's input
    return decode_picture(path, None, str(path), max_side=None, formats=None).astype(np.float64) / 255.0


def resolve_kernel(text: str, size: int | None, sigma: float | None) -> tuple[str, np.ndarray]:
    if any(ch.isdigit() for ch in text) and ("," in text or ";" in text):
        k = parse_array(text, "kernel").astype(np.float64)
        return "custom", k if k.ndim == 2 else k[None]
    return text, kernels.get(text, size, sigma)


def _display(a: np.ndarray) -> tuple[np.ndarray, dict]:
    """(C, H, W) -> what imshow takes: gray planes with their own colour range, colour clipped to [0, 1]."""
    if a.shape[0] == 1:
        return a[0], {"cmap": "gray"}
    return np.clip(a.transpose(1, 2, 0), 0.0, 1.0), {}


def save_side_by_side(path: Path, image: np.ndarray, kernel: np.ndarray, output: np.ndarray, title: str) -> None:
    """Input | kernel (with its numbers) | output, written atomically (a temp file renamed into place)."""
    from cnnlab.figures import pyplot

    plt = pyplot()

    fig, axes = plt.subplots(1, 3, figsize=(10, 4), gridspec_kw={"width_ratios": [4, 2, 4]})
    for ax, data, label in ((axes[0], image, "input"), (axes[2], output, "output")):
        shown, options = _display(data)
        ax.imshow(shown, **options)
        ax.set_title(f"{label} {'x'.join(map(str, data.shape[1:]))}")
        ax.axis("off")
    axes[1].imshow(kernel, cmap="coolwarm", vmin=-np.abs(kernel).max(), vmax=np.abs(kernel).max())
    if kernel.size <= 49:
        for (i, j), v in np.ndenumerate(kernel):
            axes[1].text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8)
    axes[1].set_title(title)
    axes[1].axis("off")
    fig.tight_layout()
    try:
        write_atomically(
            path,
            lambda f: fig.savefig(
                f, format="png", dpi=100, bbox_inches="tight", metadata={"Software": PICTURE_SOFTWARE}
            ),
        )
    finally:
        plt.close(fig)


# The lectures' table of kernel effects: (label, kernel name, size)
GALLERY = [
    ("identity", "identity", 3),
    ("edge detection 1", "laplacian4", None),
    ("edge detection 2", "laplacian8", None),
    ("sharpen", "sharpen", None),
    ("box blur", "box", 3),
    ("Gaussian blur 3x3", "binomial", 3),
    ("Gaussian blur 5x5", "binomial", 5),
    ("zero-sum edge", "edge", None),
    ("Sobel x", "sobel_x", None),
    ("Sobel y", "sobel_y", None),
]
LUMINANCE = (0.299, 0.587, 0.114)  # ITU-R 601: the gray value of an RGB pixel


def gallery_photo(path: str | None) -> tuple[str, np.ndarray]:
    """The gallery's input as one gray plane in [0, 1]: the file at `path`, or scikit-image's camera photograph."""
    if path is None:
        from skimage import data

        return "camera (scikit-image)", data.camera().astype(np.float64) / 255.0
    image = load_input(Path(path))
    gray = image[0] if image.shape[0] == 1 else np.tensordot(LUMINANCE, image, axes=1)
    return Path(path).name, gray


def _shown(output: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, dict]:
    """Zero-sum (edge) kernels: |output| up to its 99th percentile (a few strong edges would make the rest black),
    edges white on black; the others clipped to [0, 1]."""
    if abs(kernel.sum()) < 1e-12:
        magnitude = np.abs(output)
        return magnitude, {"cmap": "gray", "vmin": 0.0, "vmax": float(np.percentile(magnitude, 99)) or 1.0}
    return np.clip(output, 0.0, 1.0), {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}


def run_gallery(args) -> dict:
    name, photo = gallery_photo(args.input)
    stem = Path(args.input).stem if args.input else "camera"
    out = Path(args.out) if args.out else Path(f"gallery_{stem}.png")
    if out.suffix.lower() != ".png":
        raise CnnlabError(f"--out must end in .png, got {out.name}")
    panels = []
    for label, kernel_name, size in GALLERY:
        kernel = kernels.get(kernel_name, size)
        panels.append((label, kernel_name, kernel, correlate(photo, kernel, "same")))
    from cnnlab.figures import pyplot

    plt = pyplot()

    columns = 5
    fig, axes = plt.subplots(2, columns, figsize=(3.2 * columns, 7.6), layout="constrained")
    for ax, (label, kernel_name, kernel, output) in zip(axes.flat, panels):
        shown, options = _shown(output, kernel)
        ax.imshow(shown, **options)
        ax.set_title(f"{label}\n{kernel_name} {kernel.shape[0]}x{kernel.shape[1]}", fontsize=9)
        ax.axis("off")
    fig.suptitle(
        f"The lectures' kernels on {name} ({photo.shape[0]}x{photo.shape[1]}), cross-correlation, zero padding"
    )
    try:
        write_atomically(out, lambda f: fig.savefig(f, format="png", dpi=90, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return {
        "image": name,
        "image_shape": list(photo.shape),
        "picture": str(out),
        "kernels": [
            {
                "label": label,
                "kernel": kernel_name,
                "kernel_values": kernel.tolist(),
                "min": float(output.min()),
                "max": float(output.max()),
            }
            for label, kernel_name, kernel, output in panels
        ],
    }


def write_atomically(path: Path, write) -> None:
    """write(file) into a temp file beside `path`, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


PICTURE_SOFTWARE = "cnnlab filter"  # in every picture's PNG metadata: such a file may be replaced by the next run


def _check_outputs(source: Path, out: Path, default_name: bool, npy: str | None) -> None:
    """Before any work: outputs must be writable and never the input; a file at the default picture name is
    replaced only if cnnlab wrote it (a name the user gives with --out is theirs to reuse)."""
    from cnnlab.safe_paths import check_output_file

    check_output_file(out, "--out", inputs=(source,), create_parents=True)
    if npy:
        check_output_file(Path(npy), "--npy", inputs=(source, out), create_parents=True)
    if default_name and out.exists() and not _written_by_filter(out):
        raise CnnlabError(
            f"{out} already exists and was not written by cnnlab filter; give --out {out} to replace it, "
            f"or another --out name"
        )


def _written_by_filter(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            return picture.info.get("Software") == PICTURE_SOFTWARE
    except (OSError, UnidentifiedImageError):
        return False


def run(args) -> int:
    if args.gallery:
        if args.kernel or args.npy:
            raise CnnlabError("--gallery applies the lectures' kernel table; drop --kernel and --npy")
        summary = run_gallery(args)
        if args.json:
            print_json(summary)
        else:
            rows, cols = summary["image_shape"]
            print(
                f"gallery: {summary['image']} {rows}x{cols} (gray), {len(summary['kernels'])} kernels "
                f"-> {summary['picture']}"
            )
        return 0
    if args.input is None or args.kernel is None:
        raise CnnlabError("give an input file and --kernel NAME, or --gallery [IMAGE] for the lectures' kernel table")
    source = Path(args.input)
    name, kernel = resolve_kernel(args.kernel, args.size, args.sigma)
    out = Path(args.out) if args.out else Path(f"{source.stem}_{name}.png")
    if out.suffix.lower() != ".png":
        raise CnnlabError(f"--out must end in .png, got {out.name}")
    if args.npy and not args.npy.endswith(".npy"):
        raise CnnlabError(f"--npy must end in .npy, got {args.npy}")
    _check_outputs(source, out, args.out is None, args.npy)
    image = load_input(source)
    output = np.stack([correlate(plane, kernel, args.mode) for plane in image])
    save_side_by_side(out, image, kernel, output, f"{name} {kernel.shape[0]}x{kernel.shape[1]}")
    if args.npy:
        write_atomically(Path(args.npy), lambda f: np.save(f, output[0] if output.shape[0] == 1 else output))
    summary = {
        "input": str(source),
        "input_shape": list(image.shape),
        "kernel": name,
        "kernel_values": kernel.tolist(),
        "mode": args.mode,
        "output_shape": list(output.shape[1:]) if output.shape[0] == 1 else list(output.shape),
        "min": float(output.min()),
        "max": float(output.max()),
        "picture": str(out),
        "npy": args.npy,
    }
    if args.json:
        print_json(summary)
        return 0
    kind = "gray" if image.shape[0] == 1 else "colour"
    shape = "x".join(map(str, summary["output_shape"]))
    print(
        f"{source.name}: {'x'.join(map(str, image.shape))} ({kind}) * {name} {kernel.shape[0]}x{kernel.shape[1]}, "
        f"mode {args.mode} -> {shape}, values {summary['min']:.3g} .. {summary['max']:.3g}"
    )
    print(f"wrote {out}" + (f" and {args.npy}" if args.npy else ""))
    return 0


def register(subparsers) -> None:
    parser = add_command(
        subparsers,
        "filter",
        "apply a kernel to an image (PNG/JPEG) or a 2-D .npy array and draw the result",
        EXAMPLES,
        run,
    )
    parser.add_argument("input", nargs="?", help="a .png, .jpg/.jpeg or .npy (2-D) file (with --gallery: optional)")
    parser.add_argument("--kernel", help="a kernel name (list below) or numbers like '0,-1,0;-1,5,-1;0,-1,0'")
    parser.add_argument(
        "--gallery",
        action="store_true",
        help="apply the lectures' kernel table (identity, edges, sharpen, blurs, sobel), one grid; "
        "without an input file, scikit-image's camera photograph",
    )
    parser.add_argument("--size", type=int, default=None, help="size of identity/box/gaussian/binomial (odd)")
    parser.add_argument("--sigma", type=float, default=None, help="standard deviation of gaussian (default 1)")
    parser.add_argument("--mode", choices=["same", "valid", "full"], default="same", help="output size (default same)")
    parser.add_argument("--out", default=None, help="picture to write (default: INPUTNAME_KERNEL.png here)")
    parser.add_argument("--npy", default=None, help="also save the filtered array as .npy")
    add_json_option(parser)
