//! A look at the NVIDIA driver before Burn opens it, so that a machine without a usable GPU gets
//! the real cause (no driver library, a driver that sees no device, `cuInit` failing and why)
//! rather than the error a CUDA runtime thread reports after it died.
//!
//! This loads the driver's library as cudarc does (by name, through the dynamic loader), calls
//! `cuInit`, `cuDriverGetVersion` and `cuDeviceGetCount`, reads the first GPU's name and shape
//! (for the bench's share of the card's peak), and keeps the library loaded (cudarc loads the
//! same one again). It is built with or without the `cuda` feature: a CPU build uses
//! it to say when the machine has a GPU it cannot use.

use std::ffi::c_int;

/// The names the driver's CUDA library has on Linux, in the order tried.
pub const LIBCUDA: &[&str] = &["libcuda.so.1", "libcuda.so"];

/// What a working driver reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Driver {
	/// The library name that loaded.
	pub library: String,
	/// The newest CUDA version the driver supports, as (major, minor).
	pub cuda: (u32, u32),
	/// GPUs the driver sees (at least one).
	pub devices: u32,
	/// The first GPU, when the driver answers the attribute queries.
	pub gpu: Option<Gpu>,
}

/// The first GPU's name and what its FP32 peak is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gpu {
	/// As `nvidia-smi` names it.
	pub name: String,
	/// Streaming multiprocessors.
	pub multiprocessors: u32,
	/// Peak (boost) clock in kHz.
	pub clock_khz: u32,
	/// Compute capability (major, minor).
	pub compute: (u32, u32),
}

impl Gpu {
	/// FP32 lanes per multiprocessor (fused multiply-adds per clock), by compute capability, as
	/// the CUDA C++ Programming Guide's throughput table gives them.
	pub fn fp32_lanes(&self) -> u32 {
		match self.compute {
			(6, 0) | (7, _) | (8, 0) => 64,
			(major, _) if major >= 5 => 128,
			_ => 192,
		}
	}

	/// Peak FP32 FLOP/s without tensor cores: lanes × multiprocessors × clock × 2 (a
	/// multiply-add is two operations). The bench divides its achieved rate by this.
	pub fn peak_fp32_flops(&self) -> f64 {
		2.0 * f64::from(self.fp32_lanes())
			* f64::from(self.multiprocessors)
			* f64::from(self.clock_khz)
			* 1e3
	}
}

impl std::fmt::Display for Gpu {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let (major, minor) = self.compute;
		write!(
			f,
			"{}, compute {major}.{minor}, {} SMs at {} MHz",
			self.name,
			self.multiprocessors,
			self.clock_khz / 1000
		)
	}
}

impl std::fmt::Display for Driver {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let (major, minor) = self.cuda;
		let s = if self.devices == 1 { "" } else { "s" };
		write!(f, "NVIDIA driver for CUDA {major}.{minor}, {} GPU{s}", self.devices)?;
		match &self.gpu {
			Some(gpu) => write!(f, " (first: {gpu})"),
			None => Ok(()),
		}
	}
}

/// Probes the system's driver ([`LIBCUDA`]).
pub fn probe() -> Result<Driver, String> {
	probe_libraries(LIBCUDA)
}

/// Probes the first of `names` that loads. The error names the cause in one line.
pub fn probe_libraries(names: &[&str]) -> Result<Driver, String> {
	let mut refused = Vec::new();
	let loaded = names.iter().find_map(|&name| {
		// SAFETY: loading runs the library's initializers; only the driver's own names (or a
		// test's stand-in) are loaded, as cudarc loads them.
		match unsafe { libloading::Library::new(name) } {
			Ok(lib) => Some((name, lib)),
			Err(e) => {
				refused.push(format!("{name}: {e}"));
				None
			}
		}
	});
	let Some((name, lib)) = loaded else {
		return Err(format!(
			"no NVIDIA driver: its CUDA library is not installed or not on the loader's path \
			 (LD_LIBRARY_PATH) ({})",
			refused.join("; ")
		));
	};
	let result = query(name, &lib);
	// Unloading a driver that was initialized is not safe; cudarc holds it for good too.
	std::mem::forget(lib);
	result
}

type CuInit = unsafe extern "C" fn(u32) -> c_int;
type CuGetInt = unsafe extern "C" fn(*mut c_int) -> c_int;

fn query(name: &str, lib: &libloading::Library) -> Result<Driver, String> {
	// SAFETY: the symbols have the driver API's C signatures (cuda.h): `CUresult cuInit(unsigned
	// int)`, `CUresult cuDriverGetVersion(int*)`, `CUresult cuDeviceGetCount(int*)`.
	let missing = |sym: &str, e: libloading::Error| {
		format!("{name} is not a CUDA driver: it has no {sym} ({e})")
	};
	let init = unsafe { lib.get::<CuInit>(b"cuInit\0") }.map_err(|e| missing("cuInit", e))?;
	let get_version = unsafe { lib.get::<CuGetInt>(b"cuDriverGetVersion\0") }
		.map_err(|e| missing("cuDriverGetVersion", e))?;
	let get_count = unsafe { lib.get::<CuGetInt>(b"cuDeviceGetCount\0") }
		.map_err(|e| missing("cuDeviceGetCount", e))?;
	// SAFETY: C calls with the signatures above; the out-pointers are to live locals.
	let rc = unsafe { init(0) };
	if rc != 0 {
		return Err(format!("{name}: cuInit failed: {}", result_name(rc)));
	}
	let mut version: c_int = 0;
	let rc = unsafe { get_version(&mut version) };
	if rc != 0 {
		return Err(format!("{name}: cuDriverGetVersion failed: {}", result_name(rc)));
	}
	let version = u32::try_from(version).unwrap_or(0);
	let cuda = (version / 1000, (version % 1000) / 10);
	let mut count: c_int = 0;
	let rc = unsafe { get_count(&mut count) };
	if rc != 0 {
		return Err(format!("{name}: cuDeviceGetCount failed: {}", result_name(rc)));
	}
	let devices = u32::try_from(count).unwrap_or(0);
	if devices == 0 {
		let (major, minor) = cuda;
		return Err(format!("the NVIDIA driver (CUDA {major}.{minor}) sees no GPU"));
	}
	Ok(Driver { library: name.to_string(), cuda, devices, gpu: first_gpu(lib) })
}

type CuDeviceGet = unsafe extern "C" fn(*mut c_int, c_int) -> c_int;
type CuDeviceGetName = unsafe extern "C" fn(*mut std::ffi::c_char, c_int, c_int) -> c_int;
type CuDeviceGetAttribute = unsafe extern "C" fn(*mut c_int, c_int, c_int) -> c_int;

/// `CUdevice_attribute` values (cuda.h).
const MULTIPROCESSOR_COUNT: c_int = 16;
const CLOCK_RATE: c_int = 13;
const COMPUTE_CAPABILITY_MAJOR: c_int = 75;
const COMPUTE_CAPABILITY_MINOR: c_int = 76;

/// GPU 0's name and shape, or `None` if the driver lacks a query or refuses one (only the
/// bench's peak depends on it).
fn first_gpu(lib: &libloading::Library) -> Option<Gpu> {
	// SAFETY: the driver API's C signatures (cuda.h): `cuDeviceGet(CUdevice*, int)`,
	// `cuDeviceGetName(char*, int, CUdevice)`, `cuDeviceGetAttribute(int*, attr, CUdevice)`,
	// with CUdevice an int; called after a successful `cuInit`.
	let get = unsafe { lib.get::<CuDeviceGet>(b"cuDeviceGet\0") }.ok()?;
	let get_name = unsafe { lib.get::<CuDeviceGetName>(b"cuDeviceGetName\0") }.ok()?;
	let get_attr = unsafe { lib.get::<CuDeviceGetAttribute>(b"cuDeviceGetAttribute\0") }.ok()?;
	let mut device: c_int = 0;
	// SAFETY: out-pointer to a live local.
	if unsafe { get(&mut device, 0) } != 0 {
		return None;
	}
	let mut name = [0 as std::ffi::c_char; 256];
	// SAFETY: the buffer's length is passed; the driver writes a NUL-terminated name into it.
	if unsafe { get_name(name.as_mut_ptr(), 256, device) } != 0 {
		return None;
	}
	// A name that filled the buffer still ends within it.
	name[255] = 0;
	// SAFETY: `name` is NUL-terminated within its 256 bytes.
	let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
	let attr = |which: c_int| {
		let mut value: c_int = 0;
		// SAFETY: out-pointer to a live local.
		let rc = unsafe { get_attr(&mut value, which, device) };
		u32::try_from(value).ok().filter(|_| rc == 0)
	};
	let positive = |which| attr(which).filter(|v| *v > 0);
	Some(Gpu {
		name,
		multiprocessors: positive(MULTIPROCESSOR_COUNT)?,
		clock_khz: positive(CLOCK_RATE)?,
		compute: (attr(COMPUTE_CAPABILITY_MAJOR)?, attr(COMPUTE_CAPABILITY_MINOR)?),
	})
}

/// The driver API's name and meaning for the `CUresult` codes a probe meets (cuda.h).
fn result_name(rc: c_int) -> String {
	let what = match rc {
		2 => "CUDA_ERROR_OUT_OF_MEMORY",
		3 => "CUDA_ERROR_NOT_INITIALIZED",
		34 => {
			"CUDA_ERROR_STUB_LIBRARY (the toolkit's stub libcuda, not the driver's, is first on \
		       the loader's path)"
		}
		46 => "CUDA_ERROR_DEVICE_UNAVAILABLE (the GPU is busy or in exclusive use)",
		100 => "CUDA_ERROR_NO_DEVICE (no GPU the driver can use)",
		101 => "CUDA_ERROR_INVALID_DEVICE",
		304 => {
			"CUDA_ERROR_OPERATING_SYSTEM (the kernel module is not loaded or its device files \
		        are missing)"
		}
		800 => "CUDA_ERROR_NOT_PERMITTED",
		803 => {
			"CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (the driver library and the kernel module are \
		        different versions)"
		}
		804 => "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
		999 => "CUDA_ERROR_UNKNOWN",
		_ => "a CUresult this probe does not name",
	};
	format!("{what} (code {rc})")
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used, clippy::expect_used)]

	use super::*;
	use std::path::{Path, PathBuf};
	use std::process::Command;

	/// Builds a stand-in driver library with the C compiler the workspace's build already needs
	/// (the `cc` crate's default), whose calls return what `body` says.
	fn fake_driver(dir: &Path, name: &str, body: &str) -> PathBuf {
		let src = dir.join(format!("{name}.c"));
		let lib = dir.join(format!("lib{name}.so"));
		std::fs::write(&src, body).unwrap();
		let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
			.args(["-shared", "-fPIC", "-o"])
			.arg(&lib)
			.arg(&src)
			.output()
			.expect("a C compiler (cc) to build the stand-in driver");
		assert!(out.status.success(), "cc failed: {}", String::from_utf8_lossy(&out.stderr));
		lib
	}

	fn driver_source(init: i32, version: i32, count: i32) -> String {
		format!(
			"int cuInit(unsigned f) {{ return {init}; }}\n\
			 int cuDriverGetVersion(int *v) {{ *v = {version}; return 0; }}\n\
			 int cuDeviceGetCount(int *n) {{ *n = {count}; return 0; }}\n"
		)
	}

	fn probe_one(lib: &Path) -> Result<Driver, String> {
		probe_libraries(&[lib.to_str().unwrap()])
	}

	#[test]
	fn a_missing_driver_is_named_with_every_name_tried() {
		let err = probe_libraries(&["libcuda-not-here.so.1", "libcuda-not-here.so"]).unwrap_err();
		assert!(err.starts_with("no NVIDIA driver"), "{err}");
		assert!(err.contains("libcuda-not-here.so.1") && err.contains("LD_LIBRARY_PATH"), "{err}");
	}

	#[test]
	fn each_driver_failure_gets_its_own_cause() {
		let dir = tempfile::tempdir().unwrap();
		let not_a_driver = fake_driver(dir.path(), "other", "int something(void) { return 0; }\n");
		let err = probe_one(&not_a_driver).unwrap_err();
		assert!(err.contains("is not a CUDA driver") && err.contains("cuInit"), "{err}");

		let no_device = fake_driver(dir.path(), "nodev", &driver_source(100, 12040, 0));
		let err = probe_one(&no_device).unwrap_err();
		assert!(err.contains("cuInit failed: CUDA_ERROR_NO_DEVICE"), "{err}");

		let stub = fake_driver(dir.path(), "stub", &driver_source(34, 12040, 0));
		assert!(probe_one(&stub).unwrap_err().contains("CUDA_ERROR_STUB_LIBRARY"));

		let mismatch = fake_driver(dir.path(), "mismatch", &driver_source(803, 12040, 0));
		assert!(probe_one(&mismatch).unwrap_err().contains("kernel module are different"));

		let zero = fake_driver(dir.path(), "zero", &driver_source(0, 11040, 0));
		assert_eq!(probe_one(&zero).unwrap_err(), "the NVIDIA driver (CUDA 11.4) sees no GPU");
	}

	#[test]
	fn a_working_driver_reports_its_version_and_gpus() {
		let dir = tempfile::tempdir().unwrap();
		let good = fake_driver(dir.path(), "good", &driver_source(0, 12080, 2));
		let driver = probe_one(&good).unwrap();
		assert_eq!((driver.cuda, driver.devices, &driver.gpu), ((12, 8), 2, &None));
		assert_eq!(driver.to_string(), "NVIDIA driver for CUDA 12.8, 2 GPUs");
	}

	#[test]
	fn the_first_gpu_is_read_and_its_fp32_peak_computed() {
		let dir = tempfile::tempdir().unwrap();
		// An H200 as its driver describes it: 132 SMs, 1980 MHz boost, compute 9.0.
		let queries = "#include <string.h>\n\
			int cuDeviceGet(int *d, int i) { *d = i; return 0; }\n\
			int cuDeviceGetName(char *s, int n, int d) { strncpy(s, \"NVIDIA H200\", n); return 0; }\n\
			int cuDeviceGetAttribute(int *v, int a, int d) {\n\
			  *v = a == 16 ? 132 : a == 13 ? 1980000 : a == 75 ? 9 : a == 76 ? 0 : -1;\n\
			  return *v < 0; }\n";
		let source = driver_source(0, 13000, 1) + queries;
		let h200 = fake_driver(dir.path(), "h200", &source);
		let driver = probe_one(&h200).unwrap();
		let gpu = driver.gpu.clone().expect("the attribute queries answered");
		assert_eq!(gpu.fp32_lanes(), 128);
		// 2 × 128 × 132 × 1.98 GHz = 66.9 TFLOP/s, the datasheet's FP32 figure.
		assert!((gpu.peak_fp32_flops() - 66.908_16e12).abs() < 1e6, "{}", gpu.peak_fp32_flops());
		assert_eq!(
			driver.to_string(),
			"NVIDIA driver for CUDA 13.0, 1 GPU (first: NVIDIA H200, compute 9.0, 132 SMs at \
			 1980 MHz)"
		);
		// A driver that refuses one attribute gives no GPU shape, but still works.
		let refusing = driver_source(0, 13000, 1) + &queries.replace("a == 76 ? 0", "a == 76 ? -1");
		let partial = fake_driver(dir.path(), "partial", &refusing);
		assert_eq!(probe_one(&partial).unwrap().gpu, None);
	}

	#[test]
	fn fp32_lanes_follow_the_compute_capability() {
		let gpu = |compute| Gpu { name: String::new(), multiprocessors: 1, clock_khz: 1, compute };
		assert_eq!(gpu((7, 5)).fp32_lanes(), 64); // Turing
		assert_eq!(gpu((8, 0)).fp32_lanes(), 64); // A100
		assert_eq!(gpu((8, 6)).fp32_lanes(), 128); // Ampere consumer
		assert_eq!(gpu((9, 0)).fp32_lanes(), 128); // Hopper
	}
}
