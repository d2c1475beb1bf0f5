"""`synthetic-cyclones`: seeded tropical-cyclone scenes on a lat/lon grid, with labels. Needs no files.

Each storm is a Holland (1980) vortex: with r the distance from the centre, Rmax the radius of maximum
wind, B the shape parameter (1..2) and dp the central pressure deficit,
    p(r) = p_env - dp * (1 - exp(-(Rmax/r)^B))                                   (pressure, hPa)
    V(r) = sqrt(B dp/rho (Rmax/r)^B exp(-(Rmax/r)^B) + (r f/2)^2) - r f/2          (gradient wind, m/s)
with rho = 1.15 kg/m^3, f = 2 Omega sin(lat) and dp in Pa inside the root; the wind turns
anticlockwise (northern hemisphere): u = -V dy/r, v = V dx/r. Scenes add a large-scale steering flow,
a smooth environmental pressure gradient and smooth plus white noise on every variable.

Variables (channels): pressure (hPa), u and v (m/s). Labels per scene: presence (any storm), the storm
core mask (cells within CORE_RADII x Rmax of a centre), a centre-region mask (cells within
CENTRE_RADIUS_CELLS of a centre, the `detect` target), centres (lat, lon and fractional row/column) and
intensity (dp in hPa and the maximum wind in m/s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CycloneScenes", "make_cyclone_scenes", "CHANNELS", "CORE_RADII", "CENTRE_RADIUS_CELLS", "EARTH_RADIUS_KM"]

CHANNELS = ("pressure", "u", "v")
CORE_RADII = 2.5  # core = within 2.5 Rmax of the centre: the eyewall and inner rain bands
CENTRE_RADIUS_CELLS = 2.0
EARTH_RADIUS_KM = 6371.0
_KM_PER_DEG = np.pi * EARTH_RADIUS_KM / 180
_OMEGA = 7.292e-5  # Earth's rotation, rad/s
_RHO = 1.15  # air density, kg/m^3


@dataclass
class CycloneScenes:
    fields: np.ndarray  # (N, 3, H, W) float32: pressure hPa, u, v m/s
    lat: np.ndarray  # (H,) degrees, south to north
    lon: np.ndarray  # (W,) degrees
    presence: np.ndarray  # (N,) bool
    core: np.ndarray  # (N, H, W) uint8
    centre_region: np.ndarray  # (N, H, W) uint8
    centres: list[np.ndarray]  # per scene (k, 4): lat, lon, row, col
    intensity: list[np.ndarray]  # per scene (k, 2): dp hPa, max wind m/s
    channels: tuple[str, ...] = CHANNELS

    def __len__(self) -> int:
        return len(self.fields)


def _smooth_noise(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return field / (field.std() + 1e-12)


def holland_profile(
    r_km: np.ndarray, rmax_km: float, b: float, dp_hpa: float, lat_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pressure deficit (hPa, <= 0) and gradient wind speed (m/s) at distances r (km)."""
    r = np.maximum(r_km, 1e-3) * 1000.0  # m
    scaled = (rmax_km * 1000.0 / r) ** b
    deficit = -dp_hpa * (1 - np.exp(-scaled))
    f = 2 * _OMEGA * np.sin(np.deg2rad(abs(lat_deg)))
    speed = np.sqrt(b * dp_hpa * 100 / _RHO * scaled * np.exp(-scaled) + (r * f / 2) ** 2) - r * f / 2
    return deficit, speed


def make_cyclone_scenes(
    n: int,
    seed: int = 0,
    height: int = 48,
    width: int = 48,
    resolution: float = 0.25,
    south: float = 10.0,
    west: float = 125.0,
    max_storms: int = 2,
    empty_fraction: float = 0.35,
    noise: float = 1.0,
) -> CycloneScenes:
    """`n` scenes; the same seed gives the same scenes. `noise` scales every noise term."""
    rng = np.random.default_rng(seed)
    lat = south + resolution * np.arange(height)
    lon = west + resolution * np.arange(width)
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    fields = np.empty((n, 3, height, width), np.float32)
    core = np.zeros((n, height, width), np.uint8)
    centre_region = np.zeros((n, height, width), np.uint8)
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    centres, intensity = [], []
    for s in range(n):
        # Environment: steering flow, a smooth pressure gradient, smooth and white noise.
        u0, v0 = rng.uniform(-8, 8, 2)
        gradient = rng.uniform(-3, 3, 2)  # hPa across the scene
        pressure = (
            1010
            + gradient[0] * (lat2 - lat.mean()) / (lat[-1] - lat[0])
            + gradient[1] * (lon2 - lon.mean()) / (lon[-1] - lon[0])
        )
        pressure = pressure + noise * (
            1.5 * _smooth_noise(rng, (height, width), 6) + 0.3 * rng.standard_normal((height, width))
        )
        u = u0 + noise * (2.5 * _smooth_noise(rng, (height, width), 5) + 0.7 * rng.standard_normal((height, width)))
        v = v0 + noise * (2.5 * _smooth_noise(rng, (height, width), 5) + 0.7 * rng.standard_normal((height, width)))
        count = 0 if rng.random() < empty_fraction else int(rng.integers(1, max_storms + 1))
        placed: list[tuple[float, float, float]] = []  # row, col, core radius in cells
        scene_centres, scene_intensity = [], []
        for _ in range(count):
            rmax = rng.uniform(30, 70)  # km
            core_cells = CORE_RADII * rmax / (_KM_PER_DEG * resolution)
            for _attempt in range(50):
                row, col = rng.uniform(4, height - 5), rng.uniform(4, width - 5)
                if all(np.hypot(row - r0, col - c0) > core_cells + c_r + 3 for r0, c0, c_r in placed):
                    break
            else:
                continue
            placed.append((row, col, core_cells))
            c_lat, c_lon = south + resolution * row, west + resolution * col
            b, dp = rng.uniform(1.0, 2.0), rng.uniform(15, 80)
            dx = (lon2 - c_lon) * _KM_PER_DEG * np.cos(np.deg2rad(c_lat))
            dy = (lat2 - c_lat) * _KM_PER_DEG
            r = np.hypot(dx, dy)
            deficit, speed = holland_profile(r, rmax, b, dp, c_lat)
            pressure = pressure + deficit
            u = u - speed * dy / np.maximum(r, 1e-3)
            v = v + speed * dx / np.maximum(r, 1e-3)
            core[s] |= (r <= CORE_RADII * rmax).astype(np.uint8)
            centre_region[s] |= (np.hypot(rows - row, cols - col) <= CENTRE_RADIUS_CELLS).astype(np.uint8)
            vmax = float(holland_profile(np.array([rmax]), rmax, b, dp, c_lat)[1][0])
            scene_centres.append((c_lat, c_lon, row, col))
            scene_intensity.append((dp, vmax))
        fields[s] = np.stack([pressure, u, v])
        centres.append(np.array(scene_centres, np.float64).reshape(-1, 4))
        intensity.append(np.array(scene_intensity, np.float64).reshape(-1, 2))
    presence = np.array([len(c) > 0 for c in centres])
    return CycloneScenes(fields, lat, lon, presence, core, centre_region, centres, intensity)
