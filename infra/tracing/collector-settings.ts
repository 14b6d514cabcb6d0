/**
 * The documented settings of every collector component type this project configures, at collector 0.158.0
 * (otel/opentelemetry-collector-contrib 0.158.0): key names and value types, as the collector decodes them
 * (mapstructure tags of the Go config structs; unknown keys are fatal at start-up). Data only: the check is in
 * collector-settings-check.ts.
 *
 * Sources. Core, tag v0.158.0 of github.com/open-telemetry/opentelemetry-collector: the generated
 * `config.schema.yaml` beside each config struct (config/confighttp, configgrpc, configtls, configauth,
 * configopaque, configretry, confignet, configcompression, configmiddleware, exporter/exporterhelper/internal,
 * exporter/exporterhelper/internal/queuebatch, receiver/otlpreceiver, processor/batchprocessor,
 * internal/memorylimiter, exporter/otlpexporter, exporter/otlphttpexporter) and each `metadata.yaml` (type names).
 * Contrib, github.com/open-telemetry/opentelemetry-collector-contrib: the same files of the component folders
 * named below, from a recent snapshot (the schemas were generated from v0.155 on; the v0.158.0 tag itself could
 * not be checked out, so a key added after it would be accepted here and refused by the collector).
 * Blocks we never set are typed "object" (present, not looked into); everything we set is typed to its leaves.
 */

export type Setting =
  | "string"
  | "duration" // a Go duration string: "5s", "1m30s", "300ms"
  | "int"
  | "number"
  | "bool"
  | "object" // a map whose content is not checked
  | { list: Setting }
  | { map: Setting } // string keys of our choosing
  | { keys: Settings } // documented keys only
  | { oneOf: Setting[] };
export type Settings = { readonly [key: string]: Setting };

const list = (of: Setting): Setting => ({ list: of });
const map = (of: Setting): Setting => ({ map: of });
const keys = (of: Settings): Setting => ({ keys: of });
const strings = list("string");

// --- core config packages (opentelemetry-collector v0.158.0, config/*/config.schema.yaml) ---

/** configauth.Config; the server side adds request_params (confighttp auth_config). */
const CLIENT_AUTH = keys({ authenticator: "string" });
const SERVER_AUTH = keys({ authenticator: "string", request_params: strings });

/** configopaque.MapList: a map of name → value, or a list of {name, value} (maplist.go Unmarshal takes both). */
const HEADERS: Setting = { oneOf: [map("string"), list(keys({ name: "string", value: "string" }))] };

const MIDDLEWARES = list(keys({ id: "string" }));

/** configtls.Config, shared by client and server. */
const TLS_COMMON: Settings = {
  ca_file: "string",
  ca_pem: "string",
  cert_file: "string",
  cert_pem: "string",
  cipher_suites: strings,
  curve_preferences: strings,
  include_system_ca_certs_pool: "bool",
  key_file: "string",
  key_pem: "string",
  max_version: "string",
  min_version: "string",
  reload_interval: "duration",
  tpm: "object",
};
const TLS_CLIENT = keys({
  ...TLS_COMMON,
  insecure: "bool",
  insecure_skip_verify: "bool",
  server_name_override: "string",
});
const TLS_SERVER = keys({ ...TLS_COMMON, client_ca_file: "string", client_ca_file_reload: "bool" });

/** confighttp.ClientConfig. */
const HTTP_CLIENT: Settings = {
  auth: CLIENT_AUTH,
  compression: "string",
  compression_params: keys({ level: "int" }),
  cookies: "object",
  disable_keep_alives: "bool",
  endpoint: "string",
  force_attempt_http2: "bool",
  headers: HEADERS,
  http2_ping_timeout: "duration",
  http2_read_idle_timeout: "duration",
  idle_conn_timeout: "duration",
  max_conns_per_host: "int",
  max_idle_conns: "int",
  max_idle_conns_per_host: "int",
  middlewares: MIDDLEWARES,
  proxy_url: "string",
  read_buffer_size: "int",
  timeout: "duration",
  tls: TLS_CLIENT,
  write_buffer_size: "int",
};

/** confighttp.ServerConfig. */
const HTTP_SERVER: Settings = {
  auth: SERVER_AUTH,
  compression_algorithms: strings,
  cors: keys({ allowed_headers: strings, allowed_origins: strings, exposed_headers: strings, max_age: "int" }),
  endpoint: "string",
  idle_timeout: "duration",
  include_metadata: "bool",
  keep_alives_enabled: "bool",
  max_request_body_size: "int",
  middlewares: MIDDLEWARES,
  read_header_timeout: "duration",
  read_timeout: "duration",
  response_headers: HEADERS,
  tls: TLS_SERVER,
  write_timeout: "duration",
};

/** configgrpc.ClientConfig. */
const GRPC_CLIENT: Settings = {
  auth: CLIENT_AUTH,
  authority: "string",
  balancer_name: "string",
  compression: "string",
  endpoint: "string",
  headers: HEADERS,
  keepalive: keys({ permit_without_stream: "bool", time: "duration", timeout: "duration" }),
  middlewares: MIDDLEWARES,
  read_buffer_size: "int",
  tls: TLS_CLIENT,
  user_agent: "string",
  wait_for_ready: "bool",
  write_buffer_size: "int",
};

/** configgrpc.ServerConfig with confignet.AddrConfig squashed in. */
const GRPC_SERVER: Settings = {
  auth: SERVER_AUTH,
  dialer: keys({ timeout: "duration" }),
  endpoint: "string",
  include_metadata: "bool",
  keepalive: "object",
  max_concurrent_streams: "int",
  max_recv_msg_size_mib: "int",
  middlewares: MIDDLEWARES,
  read_buffer_size: "int",
  tls: TLS_SERVER,
  transport: "string",
  write_buffer_size: "int",
};

/** configretry.BackOffConfig. */
const RETRY_ON_FAILURE = keys({
  enabled: "bool",
  initial_interval: "duration",
  max_elapsed_time: "duration",
  max_interval: "duration",
  multiplier: "number",
  randomization_factor: "number",
});

/** exporterhelper queue_batch_config (internal/queuebatch.Config). */
const SENDING_QUEUE = keys({
  batch: keys({
    flush_timeout: "duration",
    max_size: "int",
    min_size: "int",
    partition: keys({ metadata_keys: strings }),
    sizer: "string",
  }),
  block_on_overflow: "bool",
  enabled: "bool",
  num_consumers: "int",
  queue_size: "int",
  sizer: "string",
  storage: "string",
  wait_for_result: "bool",
});

/** contrib pkg/resourcetotelemetry.Settings. */
const RESOURCE_TO_TELEMETRY = keys({
  enabled: "bool",
  exclude_service_attributes: "bool",
  excluded: strings,
  included: strings,
});

// --- tail_sampling policies (contrib processor/tailsamplingprocessor/config.schema.yaml) ---

const POLICY_BLOCKS: Settings = {
  boolean_attribute: keys({ invert_match: "bool", key: "string", value: "bool" }),
  bytes_limiting: keys({ burst_capacity: "int", bytes_per_second: "int" }),
  latency: keys({ threshold_ms: "int", upper_threshold_ms: "int" }),
  numeric_attribute: keys({ invert_match: "bool", key: "string", max_value: "int", min_value: "int" }),
  ottl_condition: keys({ error_mode: "string", span: strings, spanevent: strings }),
  probabilistic: keys({ hash_salt: "string", sampling_percentage: "number" }),
  rate_limiting: keys({ spans_per_second: "int" }),
  span_count: keys({ max_spans: "int", min_spans: "int" }),
  status_code: keys({ status_codes: strings }),
  string_attribute: keys({
    cache_max_size: "int",
    enabled_regex_matching: "bool",
    invert_match: "bool",
    key: "string",
    values: strings,
  }),
  trace_state: keys({ key: "string", values: strings }),
};

/**
 * PolicyCfg. Upstream also gathers extension-provided policy blocks (its `ExtensionCfg`); we use none, so an
 * unknown key here is a typo whose block the processor would ignore (a misspelt `latency` keeps nothing slow).
 */
const POLICY = keys({
  name: "string",
  type: "string",
  ...POLICY_BLOCKS,
  and: "object",
  composite: "object",
  drop: "object",
  not: "object",
});

const SPAN_METRICS_DIMENSION = keys({ name: "string", default: "string", glob: "string" });

export type ComponentKind = "receivers" | "processors" | "exporters" | "connectors" | "extensions";

/** Documented settings per component type, per section of the collector config. */
export const COMPONENT_SETTINGS: Record<ComponentKind, Record<string, Settings>> = {
  receivers: {
    // core receiver/otlpreceiver
    otlp: {
      protocols: keys({
        grpc: keys(GRPC_SERVER),
        http: keys({ ...HTTP_SERVER, logs_url_path: "string", metrics_url_path: "string", traces_url_path: "string" }),
      }),
    },
    // The chart's other default receivers (we null them), shallow: contrib receiver/jaegerreceiver,
    // receiver/zipkinreceiver (confighttp.ServerConfig squashed in), receiver/prometheusreceiver.
    jaeger: {
      protocols: keys({ grpc: "object", thrift_binary: "object", thrift_compact: "object", thrift_http: "object" }),
      remote_sampling: "object",
    },
    zipkin: { ...HTTP_SERVER, parse_string_tags: "bool" },
    prometheus: { api_server: "object", config: "object", target_allocator: "object", trim_metric_suffixes: "bool" },
  },
  processors: {
    // core internal/memorylimiter (processor/memorylimiterprocessor embeds it)
    memory_limiter: {
      check_interval: "duration",
      limit_mib: "int",
      limit_percentage: "int",
      max_gc_interval_when_hard_limited: "duration",
      max_gc_interval_when_soft_limited: "duration",
      min_gc_interval_when_hard_limited: "duration",
      min_gc_interval_when_soft_limited: "duration",
      spike_limit_mib: "int",
      spike_limit_percentage: "int",
    },
    // core processor/batchprocessor
    batch: {
      metadata_cardinality_limit: "int",
      metadata_keys: strings,
      send_batch_max_size: "int",
      send_batch_size: "int",
      timeout: "duration",
    },
    // contrib processor/tailsamplingprocessor
    tail_sampling: {
      block_on_overflow: "bool",
      decision_cache: keys({ non_sampled_cache_size: "int", sampled_cache_size: "int" }),
      decision_wait: "duration",
      decision_wait_after_root_received: "duration",
      drop_pending_traces_on_shutdown: "bool",
      expected_new_traces_per_sec: "int",
      maximum_trace_size_bytes: "int",
      num_traces: "int",
      policies: list(POLICY),
      sample_on_first_match: "bool",
      sampling_strategy: "string",
    },
  },
  connectors: {
    // contrib connector/spanmetricsconnector (type span_metrics; `spanmetrics` is its deprecated alias)
    span_metrics: {
      add_resource_attributes: "bool",
      aggregation_cardinality_limit: "int",
      aggregation_temporality: "string",
      calls_dimensions: list(SPAN_METRICS_DIMENSION),
      dimensions: list(SPAN_METRICS_DIMENSION),
      dimensions_cache_size: "int",
      enable_metrics_sampling_method: "bool",
      events: keys({ dimensions: list(SPAN_METRICS_DIMENSION), enabled: "bool" }),
      exclude_dimensions: strings,
      exemplars: keys({ enabled: "bool", max_per_data_point: "int" }),
      histogram: keys({
        dimensions: list(SPAN_METRICS_DIMENSION),
        disable: "bool",
        explicit: keys({ buckets: list("duration") }),
        exponential: keys({ max_size: "int" }),
        unit: "string",
      }),
      include_instrumentation_scope: strings,
      metric_timestamp_cache_size: "int",
      metrics_expiration: "duration",
      metrics_flush_interval: "duration",
      namespace: "string",
      resource_metrics_cache_size: "int",
      resource_metrics_key_attributes: strings,
      series_expiration: "duration",
    },
    // core connector/forwardconnector: no settings
    forward: {},
  },
  exporters: {
    // core exporter/debugexporter: the chart's default exporter (we null it)
    debug: {
      output_paths: strings,
      sampling_initial: "int",
      sampling_thereafter: "int",
      sending_queue: SENDING_QUEUE,
      use_internal_logger: "bool",
      verbosity: "string",
    },
    // core exporter/otlpexporter (type otlp_grpc; `otlp` is its deprecated alias)
    otlp_grpc: {
      ...GRPC_CLIENT,
      timeout: "duration",
      retry_on_failure: RETRY_ON_FAILURE,
      sending_queue: SENDING_QUEUE,
    },
    // core exporter/otlphttpexporter (type otlp_http; `otlphttp` is its deprecated alias)
    otlp_http: {
      ...HTTP_CLIENT,
      encoding: "string",
      logs_endpoint: "string",
      metrics_endpoint: "string",
      profiles_endpoint: "string",
      traces_endpoint: "string",
      retry_on_failure: RETRY_ON_FAILURE,
      sending_queue: SENDING_QUEUE,
    },
    // contrib exporter/prometheusexporter (confighttp.ServerConfig squashed in)
    prometheus: {
      ...HTTP_SERVER,
      add_metric_suffixes: "bool",
      const_labels: map("string"),
      enable_open_metrics: "bool",
      metric_expiration: "duration",
      namespace: "string",
      resource_constant_labels: RESOURCE_TO_TELEMETRY,
      resource_to_telemetry_conversion: RESOURCE_TO_TELEMETRY,
      send_timestamps: "bool",
      sending_queue: SENDING_QUEUE,
      translation_strategy: "string",
      without_scope_info: "bool",
    },
    // contrib exporter/loadbalancingexporter: the OTLP exporter template per backend (its endpoint is set by the
    // exporter), the resolver finding the backends, exporterhelper timeout/retry/queue squashed in
    loadbalancing: {
      protocol: keys({
        otlp: keys({
          ...GRPC_CLIENT,
          timeout: "duration",
          retry_on_failure: RETRY_ON_FAILURE,
          sending_queue: SENDING_QUEUE,
        }),
      }),
      resolver: keys({
        static: keys({ hostnames: strings }),
        // port is a string in the Go struct (DNSResolver.Port)
        dns: keys({ hostname: "string", port: "string", interval: "duration", timeout: "duration" }),
        k8s: keys({ service: "string", ports: list("int"), return_hostnames: "bool", timeout: "duration" }),
        aws_cloud_map: keys({
          health_status: "string",
          interval: "duration",
          namespace: "string",
          owner_account: "string",
          port: "int",
          service_name: "string",
          timeout: "duration",
        }),
      }),
      routing_attributes: strings,
      routing_key: "string",
      timeout: "duration",
      retry_on_failure: RETRY_ON_FAILURE,
      sending_queue: SENDING_QUEUE,
    },
    // contrib exporter/awsemfexporter with internal/aws/awsutil.AWSSessionSettings squashed in. No
    // sending_queue, retry_on_failure or timeout: retries are the AWS SDK's (max_retries), the request
    // timeout is request_timeout_seconds.
    awsemf: {
      certificate_file_path: "string",
      endpoint: "string",
      external_id: "string",
      imds_retries: "int",
      local_mode: "bool",
      max_retries: "int",
      no_verify_ssl: "bool",
      num_workers: "int",
      profile: "string",
      proxy_address: "string",
      region: "string",
      request_timeout_seconds: "int",
      resource_arn: "string",
      role_arn: "string",
      shared_credentials_file: strings,
      detailed_metrics: "bool",
      dimension_rollup_option: "string",
      eks_fargate_container_insights_enabled: "bool",
      log_group_name: "string",
      log_retention: "int",
      log_stream_name: "string",
      metric_declarations: list(
        keys({
          dimensions: list(strings),
          label_matchers: list(keys({ label_names: strings, regex: "string", separator: "string" })),
          metric_name_selectors: strings,
        }),
      ),
      metric_descriptors: list(keys({ metric_name: "string", overwrite: "bool", unit: "string" })),
      namespace: "string",
      output_destination: "string",
      parse_json_encoded_attr_values: strings,
      resource_to_telemetry_conversion: RESOURCE_TO_TELEMETRY,
      retain_initial_value_of_delta_metric: "bool",
      tags: map("string"),
      version: "string",
    },
  },
  extensions: {
    // contrib extension/healthcheckextension → internal/healthcheck (legacy settings with confighttp.ServerConfig)
    health_check: {
      ...HTTP_SERVER,
      path: "string",
      response_body: keys({ healthy: "string", unhealthy: "string" }),
      check_collector_pipeline: keys({ enabled: "bool", interval: "string", exporter_failure_threshold: "int" }),
      use_v2: "bool",
      grpc: "object",
      http: "object",
      component_health: "object",
    },
    // contrib extension/sigv4authextension
    sigv4auth: {
      region: "string",
      service: "string",
      assume_role: keys({
        arn: "string",
        external_id: "string",
        expiry_window: "string",
        session_duration: "string",
        session_name: "string",
        sts_region: "string",
        web_identity_token_file: "string",
      }),
    },
  },
};

/** Deprecated type names the collector still accepts (metadata.yaml `deprecated_type`), and their type. */
export const DEPRECATED_TYPES: Partial<Record<ComponentKind, Record<string, string>>> = {
  exporters: { otlp: "otlp_grpc", otlphttp: "otlp_http" },
  connectors: { spanmetrics: "span_metrics" },
};
