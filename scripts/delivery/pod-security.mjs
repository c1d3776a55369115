// pod-security.mjs: an offline check of the Kubernetes Pod Security Standards ("baseline" and
// "restricted", as of Kubernetes 1.33: kubernetes.io/docs/concepts/security/pod-security-standards)
// over rendered manifests. For every object holding a pod template it prints the highest level
// the pod passes and, below it, each violated control.
//
//   node pod-security.mjs [--privileged COMPONENT]... FILE.yaml...
//
// Exit 0 when every pod passes "restricted", except pods whose app.kubernetes.io/component is
// named with --privileged: those may fail only what a journal reader needs (hostPath volumes,
// host namespaces when it uses hostNetwork, and running as root, which reads root-owned
// journal files without any capability) and must pass every other control of "baseline" and
// "restricted" (no privilege, no capabilities, no escalation, seccomp). Exit 1 otherwise, 2 for
// bad usage.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const RESTRICTED_VOLUMES = new Set([
  "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
]);
// Controls a journal-reading DaemonSet is allowed to fail (--privileged).
const HOST_CONTROLS = new Set(["hostPathVolumes", "hostNamespaces"]);

// The pod template of a workload object, or null.
function podOf(obj) {
  switch (obj?.kind) {
    case "Pod": return { metadata: obj.metadata ?? {}, spec: obj.spec ?? {} };
    case "Deployment": case "DaemonSet": case "StatefulSet": case "ReplicaSet": case "Job":
      return obj.spec?.template ?? null;
    case "CronJob": return obj.spec?.jobTemplate?.spec?.template ?? null;
    default: return null;
  }
}

function containersOf(spec) {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

// Returns [{level, control, detail}] for one pod template.
export function check(pod) {
  const v = [];
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const cs = containersOf(spec);
  const add = (level, control, detail) => v.push({ level, control, detail });
  const annotations = pod.metadata?.annotations ?? {};

  // --- baseline ---
  for (const c of [psc, ...cs.map((c) => c.securityContext ?? {})]) {
    if (c.windowsOptions?.hostProcess) add("baseline", "hostProcess", "windowsOptions.hostProcess is true");
  }
  for (const ns of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[ns]) add("baseline", "hostNamespaces", `${ns} is true`);
  }
  for (const c of cs) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) add("baseline", "privileged", `container ${c.name} is privileged`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) add("baseline", "capabilities", `container ${c.name} adds ${cap}`);
    }
    for (const p of c.ports ?? []) {
      if (p.hostPort) add("baseline", "hostPorts", `container ${c.name} uses hostPort ${p.hostPort}`);
    }
    if (sc.procMount && sc.procMount !== "Default") add("baseline", "procMount", `container ${c.name} procMount ${sc.procMount}`);
  }
  for (const vol of spec.volumes ?? []) {
    if (vol.hostPath) add("baseline", "hostPathVolumes", `volume ${vol.name} is hostPath ${vol.hostPath.path}`);
  }
  const apparmor = [psc.appArmorProfile?.type, ...cs.map((c) => c.securityContext?.appArmorProfile?.type)];
  for (const t of apparmor) {
    if (t && t !== "RuntimeDefault" && t !== "Localhost") add("baseline", "appArmor", `appArmorProfile ${t}`);
  }
  for (const [k, val] of Object.entries(annotations)) {
    if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
        val !== "runtime/default" && !String(val).startsWith("localhost/")) {
      add("baseline", "appArmor", `${k}: ${val}`);
    }
  }
  for (const se of [psc.seLinuxOptions, ...cs.map((c) => c.securityContext?.seLinuxOptions)]) {
    if (!se) continue;
    if (!SELINUX_TYPES.has(se.type ?? "")) add("baseline", "seLinux", `seLinuxOptions.type ${se.type}`);
    if (se.user || se.role) add("baseline", "seLinux", "seLinuxOptions.user or role set");
  }
  if (psc.seccompProfile?.type === "Unconfined") add("baseline", "seccomp", "pod seccompProfile Unconfined");
  for (const c of cs) {
    if (c.securityContext?.seccompProfile?.type === "Unconfined") {
      add("baseline", "seccomp", `container ${c.name} seccompProfile Unconfined`);
    }
  }
  for (const s of psc.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(s.name)) add("baseline", "sysctls", `sysctl ${s.name}`);
  }

  // --- restricted ---
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== "name");
    // hostPath is already a baseline violation (hostPathVolumes).
    if (type !== "hostPath" && !RESTRICTED_VOLUMES.has(type)) add("restricted", "volumeTypes", `volume ${vol.name} is ${type}`);
  }
  for (const c of cs) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) {
      add("restricted", "privilegeEscalation", `container ${c.name} does not set allowPrivilegeEscalation: false`);
    }
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) add("restricted", "runAsNonRoot", `container ${c.name} may run as root (runAsNonRoot not true)`);
    if (sc.runAsUser === 0 || (sc.runAsUser === undefined && psc.runAsUser === 0)) {
      add("restricted", "runAsUser", `container ${c.name} runs as uid 0`);
    }
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      add("restricted", "seccomp", `container ${c.name} has no RuntimeDefault/Localhost seccompProfile`);
    }
    const caps = sc.capabilities ?? {};
    if (!(caps.drop ?? []).includes("ALL")) add("restricted", "capabilities", `container ${c.name} does not drop ALL`);
    for (const cap of caps.add ?? []) {
      if (cap !== "NET_BIND_SERVICE") add("restricted", "capabilities", `container ${c.name} adds ${cap}`);
    }
  }
  if (psc.runAsUser === 0) add("restricted", "runAsUser", "pod runAsUser is 0");
  return v;
}

function level(violations) {
  if (violations.some((x) => x.level === "baseline")) return "privileged";
  if (violations.some((x) => x.level === "restricted")) return "baseline";
  return "restricted";
}

function main(argv) {
  const privileged = new Set();
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--privileged") privileged.add(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length === 0) {
    console.error("usage: node pod-security.mjs [--privileged COMPONENT]... FILE.yaml...");
    return 2;
  }
  let bad = 0;
  let pods = 0;
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const obj = doc.toJS();
      const pod = podOf(obj);
      if (!pod) continue;
      pods++;
      const component = pod.metadata?.labels?.["app.kubernetes.io/component"] ?? obj.metadata?.labels?.["app.kubernetes.io/component"] ?? "";
      const violations = check(pod);
      const allowed = privileged.has(component)
        ? violations.every((x) => HOST_CONTROLS.has(x.control) || x.control === "runAsNonRoot" || x.control === "runAsUser")
        : violations.length === 0;
      const verdict = allowed ? "ok  " : "FAIL";
      if (!allowed) bad++;
      console.log(`${verdict} ${file}: ${obj.kind} ${obj.metadata?.name}: ${level(violations)}${privileged.has(component) ? " (allowed: host journal)" : ""}`);
      for (const x of violations) console.log(`       ${x.level}/${x.control}: ${x.detail}`);
    }
  }
  console.log(`pod-security: ${pods} pod templates, ${bad} failing`);
  return bad > 0 || pods === 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main(process.argv.slice(2)));
