-- llmon mock database: the seeded world of all six upstreams plus the live control state.
--
-- Times in seeded rows are never wall-clock timestamps (the same seed must give a byte-identical
-- file): they are offsets in seconds (or days) relative to the moment the mock clock first starts,
-- negative for the past. Money is USD, sizes are bytes, temperatures celsius, power watts.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Live control state ----------------------------------------------------------------------------

-- One row: the active scenario and its clock (see mock/clock.py). started_at/origin_wall stay NULL
-- in a fresh seed and are set by the first process that reads the clock.
CREATE TABLE mock_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    scenario    TEXT    NOT NULL,
    generation  INTEGER NOT NULL DEFAULT 0,
    paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    speed       REAL    NOT NULL DEFAULT 1.0 CHECK (speed > 0),
    started_at  REAL,
    offset_s    REAL    NOT NULL DEFAULT 0.0,
    origin_wall REAL
);

-- Scenarios played before the current one: counters are integrals over this whole history, so a
-- scenario switch never makes a counter go backwards.
CREATE TABLE mock_history (
    seq        INTEGER PRIMARY KEY,
    scenario   TEXT NOT NULL,
    duration_s REAL NOT NULL CHECK (duration_s >= 0)
);

-- Hosts (node exporter: procfs / sysfs) ---------------------------------------------------------

CREATE TABLE hosts (
    id                        INTEGER PRIMARY KEY,
    hostname                  TEXT    NOT NULL UNIQUE,
    domain                    TEXT    NOT NULL,
    machine_id                TEXT    NOT NULL,
    role                      TEXT    NOT NULL,
    os_release                TEXT    NOT NULL,  -- the whole /etc/os-release file
    kernel_release            TEXT    NOT NULL,  -- /proc/sys/kernel/osrelease
    kernel_version            TEXT    NOT NULL,  -- /proc/sys/kernel/version
    arch                      TEXT    NOT NULL,
    cpu_vendor                TEXT    NOT NULL,
    cpu_family                INTEGER NOT NULL,
    cpu_model                 INTEGER NOT NULL,
    cpu_model_name            TEXT    NOT NULL,
    cpu_stepping              INTEGER NOT NULL,
    cpu_microcode             TEXT    NOT NULL,
    cpu_mhz                   REAL    NOT NULL,
    cpu_cache_kb              INTEGER NOT NULL,
    cpu_cpuid_level           INTEGER NOT NULL,
    cpu_bogomips              REAL    NOT NULL,
    cpu_flags                 TEXT    NOT NULL,
    cpu_bugs                  TEXT    NOT NULL,
    cpu_power_management      TEXT    NOT NULL,
    cpu_tlb_size              INTEGER,           -- AMD only ("TLB size" line in cpuinfo)
    cpu_address_bits_physical INTEGER NOT NULL,
    cpu_address_bits_virtual  INTEGER NOT NULL,
    sockets                   INTEGER NOT NULL,
    cores_per_socket          INTEGER NOT NULL,
    threads_per_core          INTEGER NOT NULL,
    mem_total_kb              INTEGER NOT NULL,
    swap_total_kb             INTEGER NOT NULL,
    uptime_s                  REAL    NOT NULL,  -- host uptime when the mock clock starts
    tasks_base                INTEGER NOT NULL,  -- scheduling entities when idle (loadavg "N/M")
    pid_base                  INTEGER NOT NULL,
    nr_irqs                   INTEGER NOT NULL,  -- columns after the total on the "intr" line
    ctxt_per_cpu_idle         REAL    NOT NULL,  -- context switches per second per CPU when idle
    ctxt_per_cpu_busy         REAL    NOT NULL,  -- ... added per unit of CPU busy ratio
    intr_per_cpu_idle         REAL    NOT NULL,
    intr_per_cpu_busy         REAL    NOT NULL,
    forks_idle                REAL    NOT NULL,  -- new processes per second when idle
    forks_busy                REAL    NOT NULL
);

CREATE TABLE cpus (
    host_id     INTEGER NOT NULL REFERENCES hosts (id),
    cpu         INTEGER NOT NULL,
    physical_id INTEGER NOT NULL,
    core_id     INTEGER NOT NULL,
    apicid      INTEGER NOT NULL,
    PRIMARY KEY (host_id, cpu)
) WITHOUT ROWID;

CREATE TABLE disks (
    host_id     INTEGER NOT NULL REFERENCES hosts (id),
    name        TEXT    NOT NULL,
    major       INTEGER NOT NULL,
    minor       INTEGER NOT NULL,
    parent      TEXT,                   -- the whole disk of a partition
    model       TEXT    NOT NULL,
    serial      TEXT    NOT NULL,
    size_bytes  INTEGER NOT NULL,
    rotational  INTEGER NOT NULL CHECK (rotational IN (0, 1)),
    io_share    REAL    NOT NULL,       -- of host I/O (whole disk) or of the parent's I/O (partition)
    latency_ms  REAL    NOT NULL,
    merge_ratio REAL    NOT NULL,
    PRIMARY KEY (host_id, name)
) WITHOUT ROWID;

CREATE TABLE nics (
    host_id         INTEGER NOT NULL REFERENCES hosts (id),
    name            TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('loopback', 'ether', 'bridge')),
    mac             TEXT    NOT NULL,
    mtu             INTEGER NOT NULL,
    speed_mbps      INTEGER,
    operstate       TEXT    NOT NULL,
    rx_share        REAL    NOT NULL,
    tx_share        REAL    NOT NULL,
    rx_packet_bytes REAL    NOT NULL,
    tx_packet_bytes REAL    NOT NULL,
    base_rate_bytes REAL    NOT NULL,
    PRIMARY KEY (host_id, name)
) WITHOUT ROWID;

-- Every line of /proc/1/mounts, pseudo filesystems included (size 0).
CREATE TABLE filesystems (
    host_id        INTEGER NOT NULL REFERENCES hosts (id),
    position       INTEGER NOT NULL,
    mountpoint     TEXT    NOT NULL,
    device         TEXT    NOT NULL,
    fstype         TEXT    NOT NULL,
    options        TEXT    NOT NULL,
    size_bytes     INTEGER NOT NULL,
    block_size     INTEGER NOT NULL,
    reserved_ratio REAL    NOT NULL,
    used_ratio     REAL    NOT NULL,
    files          INTEGER NOT NULL,
    files_used     INTEGER NOT NULL,
    avg_file_bytes INTEGER NOT NULL,
    readonly       INTEGER NOT NULL CHECK (readonly IN (0, 1)),
    PRIMARY KEY (host_id, mountpoint)
) WITHOUT ROWID;

CREATE TABLE hwmon_sensors (
    host_id   INTEGER NOT NULL REFERENCES hosts (id),
    chip      INTEGER NOT NULL,         -- N of /sys/class/hwmon/hwmonN
    chip_name TEXT    NOT NULL,         -- coretemp, k10temp, nvme
    device    TEXT    NOT NULL,         -- the chip's device, relative to /sys (hwmonN/device links there)
    temp      INTEGER NOT NULL,         -- N of tempN_*
    label     TEXT,
    kind      TEXT    NOT NULL CHECK (kind IN ('cpu', 'nvme', 'board')),
    offset_c  REAL    NOT NULL,
    max_c     REAL,
    crit_c    REAL,
    min_c     REAL,
    PRIMARY KEY (host_id, chip, temp)
) WITHOUT ROWID;

-- GPUs (NVML) ------------------------------------------------------------------------------------

-- Real SKUs as NVML/nvidia-smi report them (product name, framebuffer, power and thermal limits).
CREATE TABLE gpu_models (
    id                          INTEGER PRIMARY KEY,
    name                        TEXT    NOT NULL UNIQUE,
    brand                       TEXT    NOT NULL,
    architecture                TEXT    NOT NULL,
    pci_device_id               TEXT    NOT NULL,
    memory_total_bytes          INTEGER NOT NULL,
    power_limit_default_w       REAL    NOT NULL,
    power_limit_min_w           REAL    NOT NULL,
    power_limit_max_w           REAL    NOT NULL,
    temp_shutdown_c             REAL    NOT NULL,
    temp_slowdown_c             REAL    NOT NULL,
    temp_max_operating_c        REAL    NOT NULL,
    temp_memory_max_operating_c REAL,
    sm_clock_max_mhz            INTEGER NOT NULL,
    memory_clock_max_mhz        INTEGER NOT NULL,
    pcie_generation_max         INTEGER NOT NULL,
    pcie_width_max              INTEGER NOT NULL,
    ecc_supported               INTEGER NOT NULL CHECK (ecc_supported IN (0, 1)),
    mig_supported               INTEGER NOT NULL CHECK (mig_supported IN (0, 1)),
    fan_supported               INTEGER NOT NULL CHECK (fan_supported IN (0, 1))
);

CREATE TABLE gpus (
    id            INTEGER PRIMARY KEY,
    host_id       INTEGER NOT NULL REFERENCES hosts (id),
    gpu_model_id  INTEGER NOT NULL REFERENCES gpu_models (id),
    minor_number  INTEGER NOT NULL,
    uuid          TEXT    NOT NULL UNIQUE,
    serial        TEXT,
    pci_bus_id    TEXT    NOT NULL,
    vbios_version TEXT    NOT NULL,
    power_limit_w REAL    NOT NULL,
    mig_enabled   INTEGER NOT NULL DEFAULT 0 CHECK (mig_enabled IN (0, 1)),
    UNIQUE (host_id, minor_number)
);

-- How each GPU differs from its siblings in the twin (mock/twins/gpu/state.py).
CREATE TABLE gpu_twin (
    gpu_id                  INTEGER PRIMARY KEY REFERENCES gpus (id),
    temp_offset_c           REAL    NOT NULL,
    load_factor             REAL    NOT NULL,  -- utilization and power relative to the scenario's
    ecc_corrected_aggregate INTEGER NOT NULL,  -- corrected ECC errors over the board's life so far
    pcie_replays            INTEGER NOT NULL,
    energy_offset_j         REAL    NOT NULL   -- energy counter when the driver was loaded
);

-- MIG instances of MIG-enabled GPUs (one compute instance per GPU instance here).
CREATE TABLE gpu_mig_instances (
    gpu_id              INTEGER NOT NULL REFERENCES gpus (id),
    gpu_instance_id     INTEGER NOT NULL,
    compute_instance_id INTEGER NOT NULL,
    profile             TEXT    NOT NULL,  -- 3g.40gb
    memory_bytes        INTEGER NOT NULL,
    uuid                TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (gpu_id, gpu_instance_id)
) WITHOUT ROWID;

-- GPU processes outside containers (container processes follow container_gpus).
CREATE TABLE gpu_processes (
    gpu_id       INTEGER NOT NULL REFERENCES gpus (id),
    pid          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('compute', 'graphics')),
    unit         TEXT    NOT NULL,  -- systemd unit: ollama.service
    name         TEXT    NOT NULL,
    memory_bytes INTEGER NOT NULL,
    PRIMARY KEY (gpu_id, pid)
) WITHOUT ROWID;

-- Containers (Docker Engine API) ------------------------------------------------------------------

CREATE TABLE containers (
    id                 INTEGER PRIMARY KEY,
    host_id            INTEGER NOT NULL REFERENCES hosts (id),
    container_id       TEXT    NOT NULL UNIQUE,  -- 64 hex characters
    name               TEXT    NOT NULL,
    image              TEXT    NOT NULL,
    image_id           TEXT    NOT NULL,
    command            TEXT    NOT NULL,
    created_offset_s   REAL    NOT NULL,
    restart_policy     TEXT    NOT NULL,
    memory_limit_bytes INTEGER,
    cpu_limit          REAL,
    labels             TEXT    NOT NULL DEFAULT '{}',  -- JSON object
    UNIQUE (host_id, name)
);

CREATE TABLE container_gpus (
    container_id INTEGER NOT NULL REFERENCES containers (id),
    gpu_id       INTEGER NOT NULL REFERENCES gpus (id),
    PRIMARY KEY (container_id, gpu_id)
) WITHOUT ROWID;

-- vLLM -------------------------------------------------------------------------------------------

CREATE TABLE vllm_deployments (
    id                     INTEGER PRIMARY KEY,
    host_id                INTEGER NOT NULL REFERENCES hosts (id),
    container_id           INTEGER REFERENCES containers (id),
    name                   TEXT    NOT NULL UNIQUE,
    port                   INTEGER NOT NULL,
    vllm_version           TEXT    NOT NULL,
    engine_version         TEXT    NOT NULL DEFAULT 'V1',
    tensor_parallel_size   INTEGER NOT NULL,
    pipeline_parallel_size INTEGER NOT NULL DEFAULT 1,
    gpu_memory_utilization REAL    NOT NULL,
    max_model_len          INTEGER NOT NULL,
    max_num_seqs           INTEGER NOT NULL,
    max_num_batched_tokens INTEGER NOT NULL,
    block_size             INTEGER NOT NULL,
    num_gpu_blocks         INTEGER NOT NULL,
    kv_cache_dtype         TEXT    NOT NULL,
    UNIQUE (host_id, port)
);

CREATE TABLE vllm_deployment_gpus (
    deployment_id INTEGER NOT NULL REFERENCES vllm_deployments (id),
    gpu_id        INTEGER NOT NULL REFERENCES gpus (id),
    PRIMARY KEY (deployment_id, gpu_id)
) WITHOUT ROWID;

CREATE TABLE vllm_served_models (
    id              INTEGER PRIMARY KEY,
    deployment_id   INTEGER NOT NULL REFERENCES vllm_deployments (id),
    model_name      TEXT    NOT NULL,            -- served name (/v1/models id, label model_name)
    root            TEXT    NOT NULL,            -- Hugging Face repo it was loaded from
    parent          TEXT,                        -- base model of a LoRA adapter
    dtype           TEXT    NOT NULL,
    max_model_len   INTEGER NOT NULL,
    params_billion  REAL    NOT NULL,
    UNIQUE (deployment_id, model_name)
);

-- LiteLLM proxy ----------------------------------------------------------------------------------

CREATE TABLE litellm_budgets (
    budget_id             TEXT PRIMARY KEY,
    max_budget            REAL,
    soft_budget           REAL,
    budget_duration       TEXT,                  -- "30d", "1h", ...
    budget_reset_offset_s REAL,
    tpm_limit             INTEGER,
    rpm_limit             INTEGER,
    max_parallel_requests INTEGER
) WITHOUT ROWID;

CREATE TABLE litellm_teams (
    team_id          TEXT PRIMARY KEY,
    team_alias       TEXT    NOT NULL,
    budget_id        TEXT REFERENCES litellm_budgets (budget_id),
    max_budget       REAL,
    spend            REAL    NOT NULL DEFAULT 0,
    tpm_limit        INTEGER,
    rpm_limit        INTEGER,
    models           TEXT    NOT NULL DEFAULT '[]',  -- JSON list of model names
    blocked          INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    created_offset_s REAL    NOT NULL
) WITHOUT ROWID;

CREATE TABLE litellm_users (
    user_id    TEXT PRIMARY KEY,
    user_email TEXT,
    user_role  TEXT NOT NULL,
    team_id    TEXT REFERENCES litellm_teams (team_id),
    budget_id  TEXT REFERENCES litellm_budgets (budget_id),
    max_budget REAL,
    spend      REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Virtual keys: only the SHA-256 hash of the key and its masked form are stored, never the key.
CREATE TABLE litellm_keys (
    token            TEXT PRIMARY KEY,               -- sha256 hex of the key
    key_name         TEXT    NOT NULL,               -- masked, e.g. "sk-...Xy9Q"
    key_alias        TEXT,
    team_id          TEXT REFERENCES litellm_teams (team_id),
    user_id          TEXT REFERENCES litellm_users (user_id),
    budget_id        TEXT REFERENCES litellm_budgets (budget_id),
    max_budget       REAL,
    spend            REAL    NOT NULL DEFAULT 0,
    budget_duration  TEXT,
    tpm_limit        INTEGER,
    rpm_limit        INTEGER,
    models           TEXT    NOT NULL DEFAULT '[]',
    expires_offset_s REAL,
    blocked          INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
) WITHOUT ROWID;

CREATE TABLE litellm_models (
    id                    INTEGER PRIMARY KEY,
    model_name            TEXT    NOT NULL,          -- public alias (model group)
    litellm_model         TEXT    NOT NULL,          -- provider/model
    provider              TEXT    NOT NULL,
    api_base              TEXT,
    deployment_id         INTEGER REFERENCES vllm_deployments (id),  -- self-hosted backend
    input_cost_per_token  REAL    NOT NULL,
    output_cost_per_token REAL    NOT NULL,
    tpm_limit             INTEGER,
    rpm_limit             INTEGER
);

CREATE TABLE litellm_daily_spend (
    day_offset          INTEGER NOT NULL,           -- 0 = the day the clock starts, -1 = the day before
    team_id             TEXT    NOT NULL,
    api_key             TEXT    NOT NULL,           -- token hash
    model               TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    spend               REAL    NOT NULL,
    prompt_tokens       INTEGER NOT NULL,
    completion_tokens   INTEGER NOT NULL,
    api_requests        INTEGER NOT NULL,
    successful_requests INTEGER NOT NULL,
    failed_requests     INTEGER NOT NULL,
    PRIMARY KEY (day_offset, team_id, api_key, model)
) WITHOUT ROWID;

-- What each key sends to each model while the mock clock runs (the LiteLLM twin integrates it over
-- scenario time); the daily history above is the same traffic in the seeded past.
CREATE TABLE litellm_key_traffic (
    api_key           TEXT    NOT NULL REFERENCES litellm_keys (token),
    model             TEXT    NOT NULL,           -- model group (litellm_models.model_name)
    requests_per_s    REAL    NOT NULL,
    prompt_tokens     INTEGER NOT NULL,           -- per request
    completion_tokens INTEGER NOT NULL,           -- per request
    PRIMARY KEY (api_key, model)
) WITHOUT ROWID;

-- Langfuse ---------------------------------------------------------------------------------------

CREATE TABLE langfuse_projects (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    organization TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE langfuse_traces (
    id                 TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES langfuse_projects (id),
    name               TEXT NOT NULL,
    timestamp_offset_s REAL NOT NULL,
    user_id            TEXT,
    session_id         TEXT,
    release            TEXT,
    version            TEXT,
    environment        TEXT NOT NULL DEFAULT 'production',
    tags               TEXT NOT NULL DEFAULT '[]',
    latency_s          REAL,
    total_cost         REAL
) WITHOUT ROWID;

CREATE TABLE langfuse_observations (
    id                        TEXT PRIMARY KEY,
    trace_id                  TEXT    NOT NULL REFERENCES langfuse_traces (id),
    parent_observation_id     TEXT,
    type                      TEXT    NOT NULL CHECK (type IN ('GENERATION', 'SPAN', 'EVENT')),
    name                      TEXT    NOT NULL,
    start_offset_s            REAL    NOT NULL,
    end_offset_s              REAL,
    completion_start_offset_s REAL,
    model                     TEXT,
    input_tokens              INTEGER,
    output_tokens             INTEGER,
    total_cost                REAL,
    level                     TEXT    NOT NULL DEFAULT 'DEFAULT'
        CHECK (level IN ('DEBUG', 'DEFAULT', 'WARNING', 'ERROR')),
    status_message            TEXT
) WITHOUT ROWID;

CREATE TABLE langfuse_scores (
    id                 TEXT PRIMARY KEY,
    trace_id           TEXT NOT NULL REFERENCES langfuse_traces (id),
    observation_id     TEXT,
    name               TEXT NOT NULL,
    data_type          TEXT NOT NULL CHECK (data_type IN ('NUMERIC', 'CATEGORICAL', 'BOOLEAN')),
    value              REAL,
    string_value       TEXT,
    source             TEXT NOT NULL CHECK (source IN ('API', 'EVAL', 'ANNOTATION')),
    timestamp_offset_s REAL NOT NULL,
    comment            TEXT
) WITHOUT ROWID;

-- The Langfuse twin generates its traces on the fly from these (mock/twins/langfuse/traffic.py): a
-- trace rate and a model mix per project, so a history of a million traces costs no disk and no seed
-- time. langfuse_traces/_observations/_scores stay empty unless a test stores fixed rows.
CREATE TABLE langfuse_traffic (
    project_id          TEXT PRIMARY KEY REFERENCES langfuse_projects (id),
    traces_per_s        REAL    NOT NULL,           -- live rate before diurnal/weekday shape and scenario
    history_days        INTEGER NOT NULL,           -- history before the clock origin
    production_share    REAL    NOT NULL,           -- of traces; the rest are environment "staging"
    users               INTEGER NOT NULL,
    release             TEXT    NOT NULL,
    noise_seed          INTEGER NOT NULL            -- mixes into every generated event's hash
) WITHOUT ROWID;

CREATE TABLE langfuse_models (
    project_id    TEXT    NOT NULL REFERENCES langfuse_projects (id),
    name          TEXT    NOT NULL,
    share         REAL    NOT NULL,                 -- of main generations in calm traffic
    input_price   REAL    NOT NULL,                 -- USD per token
    output_price  REAL    NOT NULL,
    input_tokens  REAL    NOT NULL,                 -- medians per request
    output_tokens REAL    NOT NULL,
    ttft_s        REAL    NOT NULL,
    itl_s         REAL    NOT NULL,
    helpfulness   REAL    NOT NULL,                 -- mean evaluator score of its answers
    PRIMARY KEY (project_id, name)
) WITHOUT ROWID;

CREATE INDEX langfuse_traces_by_time ON langfuse_traces (project_id, timestamp_offset_s);
CREATE INDEX langfuse_observations_by_trace ON langfuse_observations (trace_id);
CREATE INDEX langfuse_scores_by_trace ON langfuse_scores (trace_id);
