/**
 * A checker for the Pod Security Standards, "baseline" and "restricted" (Kubernetes v1.33 definitions,
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/), applied field by field to a pod
 * template, as the PodSecurity admission controller does for a Linux pod. It returns every violation, so
 * a test failure names what to fix.
 */

/** The parts of a pod spec the standards look at; everything optional, nothing else required. */
export interface SecurityContextLike {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    procMount?: string;
    capabilities?: { add?: readonly string[]; drop?: readonly string[] };
    seccompProfile?: { type?: string; localhostProfile?: string };
    appArmorProfile?: { type?: string; localhostProfile?: string };
    seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
    windowsOptions?: { hostProcess?: boolean };
    sysctls?: ReadonlyArray<{ name: string; value?: string }>;
}

export interface ContainerLike {
    name: string;
    securityContext?: SecurityContextLike;
    ports?: ReadonlyArray<{ hostPort?: number; containerPort?: number }>;
}

export interface PodSpecLike {
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    securityContext?: SecurityContextLike;
    containers: readonly ContainerLike[];
    initContainers?: readonly ContainerLike[];
    ephemeralContainers?: readonly ContainerLike[];
    volumes?: ReadonlyArray<{ name: string } & Record<string, unknown>>;
}

export interface PodTemplateLike {
    metadata?: { annotations?: Readonly<Record<string, string>> };
    spec: PodSpecLike;
}

/** Capabilities baseline lets a container add. */
const BASELINE_CAPABILITIES = new Set([
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

/** Sysctls baseline allows (namespaced and isolated from the node). */
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
]);

const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** Volume sources restricted allows; every other source (hostPath, nfs, azureDisk, ...) is refused. */
const RESTRICTED_VOLUME_SOURCES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

function allContainers(spec: PodSpecLike): Array<{ kind: string; c: ContainerLike }> {
    return [
        ...(spec.initContainers ?? []).map((c) => ({ kind: "initContainer", c })),
        ...spec.containers.map((c) => ({ kind: "container", c })),
        ...(spec.ephemeralContainers ?? []).map((c) => ({ kind: "ephemeralContainer", c })),
    ];
}

/** Baseline: the minimally restrictive policy that prevents known privilege escalations. */
export function baselineViolations(pod: PodTemplateLike): string[] {
    const v: string[] = [];
    const spec = pod.spec;
    const podSc = spec.securityContext ?? {};
    if (spec.hostNetwork) v.push("hostNetwork must be unset or false");
    if (spec.hostPID) v.push("hostPID must be unset or false");
    if (spec.hostIPC) v.push("hostIPC must be unset or false");
    if (podSc.windowsOptions?.hostProcess) v.push("pod securityContext.windowsOptions.hostProcess must not be true");
    for (const vol of spec.volumes ?? []) {
        if ("hostPath" in vol && vol.hostPath !== undefined) v.push(`volume ${vol.name}: hostPath volumes are forbidden`);
    }
    for (const s of podSc.sysctls ?? []) {
        if (!SAFE_SYSCTLS.has(s.name)) v.push(`pod sysctl ${s.name} is not in the safe set`);
    }
    checkSeLinux("pod", podSc, v);
    checkAppArmorProfile("pod", podSc, v);
    if (podSc.seccompProfile?.type === "Unconfined") v.push("pod seccompProfile.type must not be Unconfined");
    for (const [k, value] of Object.entries(pod.metadata?.annotations ?? {})) {
        if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") && value !== "runtime/default" && !value.startsWith("localhost/")) {
            v.push(`annotation ${k}=${value}: AppArmor must be runtime/default or localhost/*`);
        }
    }
    for (const { kind, c } of allContainers(spec)) {
        const where = `${kind} ${c.name}`;
        const sc = c.securityContext ?? {};
        if (sc.privileged) v.push(`${where}: privileged must be unset or false`);
        if (sc.windowsOptions?.hostProcess) v.push(`${where}: windowsOptions.hostProcess must not be true`);
        for (const cap of sc.capabilities?.add ?? []) {
            if (!BASELINE_CAPABILITIES.has(cap)) v.push(`${where}: capability ${cap} may not be added`);
        }
        for (const p of c.ports ?? []) {
            if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`${where}: hostPort ${p.hostPort} is forbidden`);
        }
        checkSeLinux(where, sc, v);
        checkAppArmorProfile(where, sc, v);
        if (sc.procMount !== undefined && sc.procMount !== "Default") v.push(`${where}: procMount must be Default`);
        if (sc.seccompProfile?.type === "Unconfined") v.push(`${where}: seccompProfile.type must not be Unconfined`);
    }
    return v;
}

function checkSeLinux(where: string, sc: SecurityContextLike, v: string[]): void {
    const se = sc.seLinuxOptions;
    if (!se) return;
    if (se.type !== undefined && !SELINUX_TYPES.has(se.type)) v.push(`${where}: seLinuxOptions.type ${se.type} is not allowed`);
    if (se.user) v.push(`${where}: seLinuxOptions.user must be unset`);
    if (se.role) v.push(`${where}: seLinuxOptions.role must be unset`);
}

function checkAppArmorProfile(where: string, sc: SecurityContextLike, v: string[]): void {
    const type = sc.appArmorProfile?.type;
    if (type !== undefined && type !== "RuntimeDefault" && type !== "Localhost") v.push(`${where}: appArmorProfile.type must be RuntimeDefault or Localhost`);
}

/** Restricted: baseline plus current pod-hardening best practice. */
export function restrictedViolations(pod: PodTemplateLike): string[] {
    const v = baselineViolations(pod);
    const spec = pod.spec;
    const podSc = spec.securityContext ?? {};
    for (const vol of spec.volumes ?? []) {
        const sources = Object.keys(vol).filter((k) => k !== "name");
        for (const s of sources) {
            if (!RESTRICTED_VOLUME_SOURCES.has(s)) v.push(`volume ${vol.name}: volume type ${s} is not allowed`);
        }
    }
    const podSeccomp = podSc.seccompProfile?.type;
    const podSeccompOk = podSeccomp === "RuntimeDefault" || podSeccomp === "Localhost";
    if (podSc.runAsUser === 0) v.push("pod runAsUser must not be 0");
    if (podSc.runAsNonRoot === false) v.push("pod runAsNonRoot must not be false");
    for (const { kind, c } of allContainers(spec)) {
        const where = `${kind} ${c.name}`;
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: allowPrivilegeEscalation must be false`);
        const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
        if (nonRoot !== true) v.push(`${where}: runAsNonRoot must be true (in the container or the pod)`);
        if (sc.runAsUser === 0) v.push(`${where}: runAsUser must not be 0`);
        const seccomp = sc.seccompProfile?.type;
        if (seccomp === undefined ? !podSeccompOk : seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
            v.push(`${where}: seccompProfile.type must be RuntimeDefault or Localhost (in the container or the pod)`);
        }
        const drop = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${where}: capabilities must drop ALL`);
        for (const cap of sc.capabilities?.add ?? []) {
            if (cap !== "NET_BIND_SERVICE") v.push(`${where}: only NET_BIND_SERVICE may be added, not ${cap}`);
        }
    }
    return v;
}
