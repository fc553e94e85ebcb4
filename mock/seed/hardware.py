"""Static facts the seed is built from: real CPU models, OS releases, drives and GPU SKUs.

Nothing here is random. The generator (mock/seed/generate.py) picks from these and randomises only
what differs between real machines of the same kind (hostnames, serials, MACs, uptime, fill levels).

GPU SKU values are what ``nvidia-smi -q`` reports on current drivers: product name, framebuffer total,
default/min/max power limit, shutdown/slowdown/max-operating temperatures (newer drivers print them as
margins to the T.Limit; the absolute values are T.Limit minus those margins) and max clocks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CpuModel:
    vendor: str
    family: int
    model: int
    stepping: int
    name: str
    microcode: str
    mhz: float
    cache_kb: int
    cores_per_socket: int
    threads_per_core: int
    cpuid_level: int
    bogomips: float
    physical_bits: int
    virtual_bits: int
    tlb_size: int | None  # AMD prints a "TLB size" line
    hwmon_driver: str  # coretemp (Intel) or k10temp (AMD)
    flags: str
    bugs: str
    power_management: str


_X86_BASE = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht "
    "syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid aperfmperf pni pclmulqdq "
    "monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm "
    "3dnowprefetch"
)
_ZEN3_FLAGS = (
    f"{_X86_BASE} mmxext fxsr_opt extd_apicid rapl cmp_legacy svm extapic cr8_legacy sse4a misalignsse "
    "osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 "
    "hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 invpcid cqm rdt_a rdseed adx "
    "smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total "
    "cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin arat npt lbrv svm_lock nrip_save "
    "tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold v_vmsave_vmload vgif "
    "v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm"
)
_ZEN4_FLAGS = (
    f"{_ZEN3_FLAGS} avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi "
    "avx512_vbmi2 gfni avx512_vnni avx512_bitalg avx512_vpopcntdq la57 flush_l1d"
)
_SPR_FLAGS = (
    f"{_X86_BASE} dts acpi ss tm pbe art arch_perfmon pebs bts xtopology tsc_known_freq dtes64 ds_cpl vmx "
    "smx est tm2 sdbg xtpr pdcm dca tsc_deadline_timer cpuid_fault epb cat_l3 cat_l2 cdp_l3 intel_ppin "
    "cdp_l2 ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase "
    "tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma "
    "clflushopt clwb intel_pt avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc "
    "cqm_occup_llc cqm_mbm_total cqm_mbm_local split_lock_detect avx_vnni avx512_bf16 wbnoinvd dtherm ida "
    "arat pln pts hfi vnmi avx512vbmi umip pku ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq "
    "avx512_vnni avx512_bitalg tme avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote movdiri "
    "movdir64b enqcmd fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 avx512_fp16 "
    "amx_tile amx_int8 flush_l1d arch_capabilities"
)
_AMD = {
    "vendor": "AuthenticAMD",
    "family": 25,
    "threads_per_core": 2,
    "cpuid_level": 16,
    "hwmon_driver": "k10temp",
    "bugs": "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso",
    "power_management": "ts ttp tm hwpstate cpb eff_freq_ro [13] [14]",
}

CPU_MODELS: dict[str, CpuModel] = {
    "xeon-8480+": CpuModel(
        vendor="GenuineIntel", family=6, model=143, stepping=8, name="Intel(R) Xeon(R) Platinum 8480+",
        microcode="0x2b000590", mhz=2000.0, cache_kb=107520, cores_per_socket=56, threads_per_core=2,
        cpuid_level=32, bogomips=4000.00, physical_bits=46, virtual_bits=57, tlb_size=None,
        hwmon_driver="coretemp", flags=_SPR_FLAGS,
        bugs="spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb bhi", power_management="",
    ),
    "epyc-7543": CpuModel(
        **_AMD, model=1, stepping=1, name="AMD EPYC 7543 32-Core Processor", microcode="0xa0011d5",
        mhz=2800.0, cache_kb=512, cores_per_socket=32, bogomips=5589.41, physical_bits=48, virtual_bits=48,
        tlb_size=2560, flags=_ZEN3_FLAGS,
    ),
    "epyc-9354": CpuModel(
        **_AMD, model=17, stepping=1, name="AMD EPYC 9354 32-Core Processor", microcode="0xa101148",
        mhz=3250.0, cache_kb=1024, cores_per_socket=32, bogomips=6490.31, physical_bits=52, virtual_bits=57,
        tlb_size=3584, flags=_ZEN4_FLAGS,
    ),
    "threadripper-5975wx": CpuModel(
        **_AMD, model=8, stepping=2, name="AMD Ryzen Threadripper PRO 5975WX 32-Cores", microcode="0xa008205",
        mhz=3600.0, cache_kb=512, cores_per_socket=32, bogomips=7186.42, physical_bits=48, virtual_bits=48,
        tlb_size=2560, flags=_ZEN3_FLAGS,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class OsProfile:
    os_release: str  # the whole /etc/os-release
    kernel_release: str
    kernel_version: str


_UBUNTU_URLS = (
    'HOME_URL="https://www.ubuntu.com/"\nSUPPORT_URL="https://help.ubuntu.com/"\n'
    'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"\n'
    'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"\n'
)

OS_PROFILES: dict[str, OsProfile] = {
    "ubuntu-24.04": OsProfile(
        os_release='PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\n'
        'VERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n'
        f"{_UBUNTU_URLS}UBUNTU_CODENAME=noble\nLOGO=ubuntu-logo\n",
        kernel_release="6.8.0-49-generic",
        kernel_version="#49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024",
    ),
    "ubuntu-22.04": OsProfile(
        os_release='PRETTY_NAME="Ubuntu 22.04.5 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
        'VERSION="22.04.5 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n'
        f"{_UBUNTU_URLS}UBUNTU_CODENAME=jammy\n",
        kernel_release="6.8.0-45-generic",
        kernel_version="#45~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Wed Sep 11 15:25:05 UTC 2",
    ),
    "debian-12": OsProfile(
        os_release='PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
        'HOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\n'
        'BUG_REPORT_URL="https://bugs.debian.org/"\n',
        kernel_release="6.1.0-27-amd64",
        kernel_version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)",
    ),
}


@dataclass(frozen=True)
class Drive:
    model: str
    size_bytes: int


DRIVES: dict[str, Drive] = {
    "pm9a3-960g": Drive("SAMSUNG MZ1L2960HCJR-00A07", 960_197_124_096),
    "pm9a3-3.84t": Drive("SAMSUNG MZQL23T8HCLS-00A07", 3_840_755_982_336),
    "pm9a3-7.68t": Drive("SAMSUNG MZQL27T6HBLA-00A07", 7_681_501_126_656),
    "990pro-2t": Drive("Samsung SSD 990 PRO 2TB", 2_000_398_934_016),
    "990pro-4t": Drive("Samsung SSD 990 PRO 4TB", 4_000_787_030_016),
}


@dataclass(frozen=True)
class HostClass:
    """A kind of machine; the seed makes one host of each, in this order."""

    role: str
    prefix: str
    cpu: str
    sockets: int
    ram_gib: tuple[int, ...]
    swap_kb: int
    os: str
    os_drive: str
    data_drive: str
    uplink_mbps: int
    uplink_oui: str
    gpu_model: str  # the SKU the GPU twin will put in this host


HOST_CLASSES: tuple[HostClass, ...] = (
    HostClass(
        role="inference", prefix="gpu-h100", cpu="xeon-8480+", sockets=2, ram_gib=(2048,), swap_kb=0,
        os="ubuntu-24.04", os_drive="pm9a3-960g", data_drive="pm9a3-7.68t", uplink_mbps=200_000,
        uplink_oui="94:6d:ae", gpu_model="NVIDIA H100 80GB HBM3",
    ),
    HostClass(
        role="inference", prefix="gpu-a100", cpu="epyc-7543", sockets=2, ram_gib=(1024, 2048),
        swap_kb=8_388_604, os="ubuntu-22.04", os_drive="pm9a3-960g", data_drive="pm9a3-3.84t",
        uplink_mbps=100_000, uplink_oui="b8:ce:f6", gpu_model="NVIDIA A100-SXM4-80GB",
    ),
    HostClass(
        role="inference", prefix="gpu-l40s", cpu="epyc-9354", sockets=1, ram_gib=(384, 512),
        swap_kb=8_388_604, os="ubuntu-24.04", os_drive="pm9a3-960g", data_drive="pm9a3-3.84t",
        uplink_mbps=25_000, uplink_oui="b8:3f:d2", gpu_model="NVIDIA L40S",
    ),
    HostClass(
        role="development", prefix="ws-rtx4090", cpu="threadripper-5975wx", sockets=1, ram_gib=(256,),
        swap_kb=2_097_148, os="debian-12", os_drive="990pro-2t", data_drive="990pro-4t", uplink_mbps=10_000,
        uplink_oui="3c:ec:ef", gpu_model="NVIDIA GeForce RTX 4090",
    ),
)  # fmt: skip

_MIB = 1024**2

# Rows of the gpu_models table, keyed by its column names.
GPU_MODELS: tuple[dict[str, object], ...] = (
    {
        "name": "NVIDIA H100 80GB HBM3", "brand": "NVIDIA", "architecture": "Hopper",
        "pci_device_id": "0x233010DE", "memory_total_bytes": 81559 * _MIB,
        "power_limit_default_w": 700.0, "power_limit_min_w": 200.0, "power_limit_max_w": 700.0,
        "temp_shutdown_c": 95.0, "temp_slowdown_c": 89.0, "temp_max_operating_c": 87.0,
        "temp_memory_max_operating_c": 95.0, "sm_clock_max_mhz": 1980, "memory_clock_max_mhz": 2619,
        "pcie_generation_max": 5, "pcie_width_max": 16, "ecc_supported": 1, "mig_supported": 1,
        "fan_supported": 0,
    },
    {
        "name": "NVIDIA A100-SXM4-80GB", "brand": "NVIDIA", "architecture": "Ampere",
        "pci_device_id": "0x20B210DE", "memory_total_bytes": 81920 * _MIB,
        "power_limit_default_w": 500.0, "power_limit_min_w": 100.0, "power_limit_max_w": 500.0,
        "temp_shutdown_c": 92.0, "temp_slowdown_c": 89.0, "temp_max_operating_c": 85.0,
        "temp_memory_max_operating_c": 95.0, "sm_clock_max_mhz": 1410, "memory_clock_max_mhz": 1593,
        "pcie_generation_max": 4, "pcie_width_max": 16, "ecc_supported": 1, "mig_supported": 1,
        "fan_supported": 0,
    },
    {
        "name": "NVIDIA L40S", "brand": "NVIDIA", "architecture": "Ada Lovelace",
        "pci_device_id": "0x26B910DE", "memory_total_bytes": 46068 * _MIB,
        "power_limit_default_w": 350.0, "power_limit_min_w": 100.0, "power_limit_max_w": 350.0,
        "temp_shutdown_c": 92.0, "temp_slowdown_c": 89.0, "temp_max_operating_c": 87.0,
        "temp_memory_max_operating_c": None, "sm_clock_max_mhz": 2520, "memory_clock_max_mhz": 9001,
        "pcie_generation_max": 4, "pcie_width_max": 16, "ecc_supported": 1, "mig_supported": 0,
        "fan_supported": 0,
    },
    {
        "name": "NVIDIA GeForce RTX 4090", "brand": "GeForce", "architecture": "Ada Lovelace",
        "pci_device_id": "0x268410DE", "memory_total_bytes": 24564 * _MIB,
        "power_limit_default_w": 450.0, "power_limit_min_w": 150.0, "power_limit_max_w": 450.0,
        "temp_shutdown_c": 91.0, "temp_slowdown_c": 86.0, "temp_max_operating_c": 84.0,
        "temp_memory_max_operating_c": None, "sm_clock_max_mhz": 3105, "memory_clock_max_mhz": 10501,
        "pcie_generation_max": 4, "pcie_width_max": 16, "ecc_supported": 0, "mig_supported": 0,
        "fan_supported": 1,
    },
)  # fmt: skip
