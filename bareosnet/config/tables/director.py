"""Resources of the Director (bareos-dir).

Facts read from the public Bareos sources (core/src/dird/dird_conf.cc, core/src/dird/inc_conf.cc, HEAD
eda204c31c76) and written down as data: directive name, how its value is
scanned, its default, and flags (required, aliases, deprecated, referenced
resource type).  Platform path defaults are the usual Linux package paths.
"""

from __future__ import annotations

from bareosnet.config.schema import DaemonSchema, I, R
from bareosnet.config.schema import Kind as K
from bareosnet.config.tables.common import (
    ACTION_ON_PURGE,
    AUTH_PROTOCOLS,
    AUTH_TYPES,
    BACKUP_PROTOCOLS,
    JOB_LEVELS,
    JOB_TYPES,
    LABEL_TYPES,
    MESSAGES,
    POOL_TYPES,
    REPLACE_OPTIONS,
    SELECTION_TYPES,
    TLS_ITEMS,
)

ACL = K.ACL
ADDRESS = K.ADDRESS
ADDRESSES = K.ADDRESSES
AUDIT = K.AUDIT
AUTO_PASSWORD = K.AUTO_PASSWORD
BOOL = K.BOOL
CLEAR_PASSWORD = K.CLEAR_PASSWORD
DEVICE_LIST = K.DEVICE_LIST
ENUM = K.ENUM
ENUM_FLAGS = K.ENUM_FLAGS
INCLUDE_EXCLUDE = K.INCLUDE_EXCLUDE
INT32 = K.INT32
MD5_PASSWORD = K.MD5_PASSWORD
NAME = K.NAME
PATH = K.PATH
PINT32 = K.PINT32
PLUGIN_NAMES = K.PLUGIN_NAMES
PORT = K.PORT
RES = K.RES
RES_LIST = K.RES_LIST
RUN = K.RUN
RUNSCRIPT = K.RUNSCRIPT
SHORT_RUNSCRIPT = K.SHORT_RUNSCRIPT
SIZE32 = K.SIZE32
SIZE64 = K.SIZE64
SPEED = K.SPEED
STR = K.STR
STRNAME = K.STRNAME
STR_LIST = K.STR_LIST
TIME = K.TIME

# The ACL directives of Console, Profile and User resources.
ACL_ITEMS = (
    I("JobAcl", ACL),
    I("ClientAcl", ACL),
    I("StorageAcl", ACL),
    I("ScheduleAcl", ACL),
    I("PoolAcl", ACL),
    I("CommandAcl", ACL),
    I("FileSetAcl", ACL),
    I("CatalogAcl", ACL),
    I("WhereAcl", ACL),
    I("PluginOptionsAcl", ACL),
)

# Keywords inside nested blocks of the Director's resources (inc_conf.cc,
# dird_conf.cc runscript_items); values are scanned by the parser itself.
INCLUDE_KEYWORDS = ("File", "Plugin", "ExcludeDirContaining", "Options")
OPTIONS_KEYWORDS = (
    "Compression",
    "Signature",
    "Accurate",
    "Verify",
    "OneFs",
    "Recurse",
    "Sparse",
    "HardLinks",
    "ReadFifo",
    "Replace",
    "Portable",
    "MtimeOnly",
    "KeepAtime",
    "Regex",
    "RegexDir",
    "RegexFile",
    "Wild",
    "WildDir",
    "WildFile",
    "Exclude",
    "AclSupport",
    "Plugin",
    "IgnoreCase",
    "FsType",
    "HfsPlusSupport",
    "NoAtime",
    "EnhancedWild",
    "DriveType",
    "CheckFileChanges",
    "StripPath",
    "HonorNoDumpFlag",
    "XAttrSupport",
    "Size",
    "Shadowing",
    "AutoExclude",
    "ForceEncryption",
    "Meta",
)
RUNSCRIPT_KEYWORDS = (
    "Command",
    "Console",
    "Target",
    "RunsOnSuccess",
    "RunsOnFailure",
    "FailJobOnError",
    "AbortJobOnError",
    "RunsWhen",
    "RunsOnClient",
)

DIRECTOR = R(
    "Director",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Messages", RES, ref="Messages"),
        I("Port", PORT, 9101, alias=("DirPort",)),
        I("Address", ADDRESS, alias=("DirAddress",)),
        I("Addresses", ADDRESSES, alias=("DirAddresses",)),
        I("SourceAddress", ADDRESS, alias=("DirSourceAddress",)),
        I("QueryFile", PATH, "/usr/lib/bareos/scripts/query.sql"),
        I("WorkingDirectory", PATH, "/var/lib/bareos"),
        I("PluginDirectory", PATH),
        I("PluginNames", PLUGIN_NAMES),
        I("ScriptsDirectory", PATH, "/usr/lib/bareos/scripts"),
        I("Subscriptions", PINT32, 0),
        I("MaximumConcurrentJobs", PINT32, 1),
        I("MaximumConsoleConnections", PINT32, 20),
        I("Password", MD5_PASSWORD, req=True),
        I("FdConnectTimeout", TIME, 180),
        I("SdConnectTimeout", TIME, 1800),
        I("HeartbeatInterval", TIME, 0),
        I("StatisticsRetention", TIME, 160704000, dep=True),
        I("StatisticsCollectInterval", PINT32, 0, dep=True),
        I("VerId", STR),
        I("KeyEncryptionKey", CLEAR_PASSWORD),
        I("NdmpSnooping", BOOL, False),
        I("NdmpLogLevel", PINT32, 4),
        I("NdmpNamelistFhinfoSetZeroForInvalidUquad", BOOL, False),
        I("AbsoluteJobTimeout", PINT32, 0),
        I("Auditing", BOOL, False),
        I("AuditEvents", AUDIT),
        I("SecureEraseCommand", STR),
        I("LogTimestampFormat", STR, "%d-%b %H:%M"),
        I("EnableKtls", BOOL, False),
        *TLS_ITEMS,
    ),
)

CLIENT = R(
    "Client",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Protocol", ENUM, "Native", choices=AUTH_PROTOCOLS),
        I("AuthType", ENUM, "None", choices=AUTH_TYPES),
        I("Address", STR, req=True, alias=("FdAddress",)),
        I("LanAddress", STR),
        I("Port", PINT32, 9102, alias=("FdPort",)),
        I("Username", STR),
        I("Password", AUTO_PASSWORD, req=True, alias=("FdPassword",)),
        I("Catalog", RES, ref="Catalog"),
        I("Passive", BOOL, False),
        I("ConnectionFromDirectorToClient", BOOL, True),
        I("ConnectionFromClientToDirector", BOOL, False),
        I("Enabled", BOOL, True),
        I("HardQuota", SIZE64, 0),
        I("SoftQuota", SIZE64, 0),
        I("SoftQuotaGracePeriod", TIME, 0),
        I("StrictQuotas", BOOL, False),
        I("QuotaIncludeFailedJobs", BOOL, True),
        I("FileRetention", TIME, 5184000, dep=True),
        I("JobRetention", TIME, 15552000, dep=True),
        I("HeartbeatInterval", TIME, 0),
        I("AutoPrune", BOOL, False, dep=True),
        I("MaximumConcurrentJobs", PINT32, 1),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("NdmpLogLevel", PINT32, 4),
        I("NdmpBlockSize", SIZE32, 64512),
        I("NdmpUseLmdb", BOOL, True),
        *TLS_ITEMS,
    ),
)

# Job and JobDefs share one item table (dird_conf.cc job_items).
JOB_ITEMS = (
    I("Name", NAME, req=True),
    I("Description", STR),
    I("Type", ENUM, req=True, choices=JOB_TYPES),
    I("Protocol", ENUM, "Native", choices=BACKUP_PROTOCOLS),
    I("BackupFormat", STR, "Native"),
    I("Level", ENUM, choices=JOB_LEVELS),
    I("Messages", RES, req=True, ref="Messages"),
    I("Storage", RES_LIST, ref="Storage"),
    I("Pool", RES, req=True, ref="Pool"),
    I("FullBackupPool", RES, ref="Pool"),
    I("VirtualFullBackupPool", RES, ref="Pool"),
    I("IncrementalBackupPool", RES, ref="Pool"),
    I("DifferentialBackupPool", RES, ref="Pool"),
    I("NextPool", RES, ref="Pool"),
    I("Client", RES, ref="Client"),
    I("FileSet", RES, ref="FileSet"),
    I("Schedule", RES, ref="Schedule"),
    I("JobToVerify", RES, alias=("VerifyJob",), ref="Job"),
    I("Catalog", RES, ref="Catalog"),
    I("JobDefs", RES, ref="JobDefs"),
    I("Run", STR_LIST),
    I("Where", PATH),
    I("RegexWhere", STR),
    I("StripPrefix", STR),
    I("AddPrefix", STR),
    I("AddSuffix", STR),
    I("Bootstrap", PATH),
    I("WriteBootstrap", PATH),
    I("Replace", ENUM, "Always", choices=REPLACE_OPTIONS),
    I("MaximumBandwidth", SPEED, 0),
    I("MaxRunSchedTime", TIME, 0),
    I("MaxRunTime", TIME, 0),
    I("FullMaxRuntime", TIME, 0),
    I("IncrementalMaxRuntime", TIME, 0),
    I("DifferentialMaxRuntime", TIME, 0),
    I("MaxWaitTime", TIME, 0),
    I("MaxStartDelay", TIME, 0),
    I("MaxFullInterval", TIME, 0),
    I("MaxVirtualFullInterval", TIME, 0),
    I("MaxDiffInterval", TIME, 0),
    I("PrefixLinks", BOOL, False),
    I("PruneJobs", BOOL, False),
    I("PruneFiles", BOOL, False),
    I("PruneVolumes", BOOL, False),
    I("PurgeMigrationJob", BOOL, False),
    I("Enabled", BOOL, True),
    I("SpoolAttributes", BOOL, False),
    I("SpoolData", BOOL, False),
    I("SpoolSize", SIZE64, 0),
    I("RerunFailedLevels", BOOL, False),
    I("PreferMountedVolumes", BOOL, True),
    I("RunBeforeJob", SHORT_RUNSCRIPT),
    I("RunAfterJob", SHORT_RUNSCRIPT),
    I("RunAfterFailedJob", SHORT_RUNSCRIPT),
    I("ClientRunBeforeJob", SHORT_RUNSCRIPT),
    I("ClientRunAfterJob", SHORT_RUNSCRIPT),
    I("MaximumConcurrentJobs", PINT32, 1),
    I("RescheduleOnError", BOOL, False),
    I("RescheduleInterval", TIME, 1800),
    I("RescheduleTimes", PINT32, 5),
    I("Priority", PINT32, 10),
    I("AllowMixedPriority", BOOL, False),
    I("SelectionPattern", STR),
    I("RunScript", RUNSCRIPT),
    I("SelectionType", ENUM, choices=SELECTION_TYPES),
    I("Accurate", BOOL, False),
    I("AllowDuplicateJobs", BOOL, True),
    I("AllowHigherDuplicates", BOOL, True, dep=True),
    I("CancelLowerLevelDuplicates", BOOL, False),
    I("CancelQueuedDuplicates", BOOL, False),
    I("CancelRunningDuplicates", BOOL, False),
    I("SaveFileHistory", BOOL, True),
    I("FileHistorySize", SIZE64, 10000000),
    I("FdPluginOptions", STR_LIST),
    I("SdPluginOptions", STR_LIST),
    I("DirPluginOptions", STR_LIST),
    I("MaxConcurrentCopies", PINT32, 100),
    I("AlwaysIncremental", BOOL, False),
    I("AlwaysIncrementalJobRetention", TIME, 0),
    I("AlwaysIncrementalKeepNumber", PINT32, 0),
    I("AlwaysIncrementalMaxFullAge", TIME, 0),
    I("MaxFullConsolidations", PINT32, 0),
    I("RunOnIncomingConnectInterval", TIME, 0),
)

JOBDEFS = R("JobDefs", JOB_ITEMS)

JOB = R("Job", JOB_ITEMS)

STORAGE = R(
    "Storage",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Protocol", ENUM, "Native", choices=AUTH_PROTOCOLS),
        I("AuthType", ENUM, "None", choices=AUTH_TYPES),
        I("Address", STR, req=True, alias=("SdAddress",)),
        I("LanAddress", STR),
        I("Port", PINT32, 9103, alias=("SdPort",)),
        I("Username", STR),
        I("Password", AUTO_PASSWORD, req=True, alias=("SdPassword",)),
        I("Device", DEVICE_LIST, req=True),
        I("MediaType", STRNAME, req=True),
        I("AutoChanger", BOOL, False),
        I("Enabled", BOOL, True),
        I("AllowCompression", BOOL, True),
        I("HeartbeatInterval", TIME, 0),
        I("CacheStatusInterval", TIME, 30),
        I("MaximumConcurrentJobs", PINT32, 1),
        I("MaximumConcurrentReadJobs", PINT32, 0),
        I("PairedStorage", RES, ref="Storage"),
        I("MaximumBandwidthPerJob", SPEED, 0),
        I("CollectStatistics", BOOL, False, dep=True),
        I("NdmpChangerDevice", STRNAME),
        *TLS_ITEMS,
    ),
)

CATALOG = R(
    "Catalog",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("DbAddress", STR, alias=("Address",)),
        I("DbPort", PINT32, 0, alias=("Port",)),
        I("DbPassword", CLEAR_PASSWORD, alias=("Password",)),
        I("DbUser", STR, req=True, alias=("User",)),
        I("DbName", STR, req=True),
        I("DbSocket", STR, alias=("Socket",)),
        I("MultipleConnections", BOOL, False, dep=True),
        I("DisableBatchInsert", BOOL, False, dep=True),
        I("Reconnect", BOOL, True),
        I("ExitOnFatal", BOOL, False),
        I("MinConnections", PINT32, 1),
        I("MaxConnections", PINT32, 5),
        I("IncConnections", PINT32, 1),
        I("IdleTimeout", PINT32, 30),
        I("ValidateTimeout", PINT32, 120),
    ),
)

SCHEDULE = R(
    "Schedule",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Run", RUN),
        I("Enabled", BOOL, True),
    ),
)

FILESET = R(
    "FileSet",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Include", INCLUDE_EXCLUDE),
        I("Exclude", INCLUDE_EXCLUDE),
        I("IgnoreFileSetChanges", BOOL, False),
        I("EnableVSS", BOOL, True),
    ),
)

POOL = R(
    "Pool",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("PoolType", ENUM, "Backup", choices=POOL_TYPES),
        I("LabelFormat", STRNAME),
        I("LabelType", ENUM, dep=True, choices=LABEL_TYPES),
        I("CleaningPrefix", STRNAME, "CLN"),
        I("UseCatalog", BOOL, True),
        I("PurgeOldestVolume", BOOL, False),
        I("ActionOnPurge", ENUM_FLAGS, choices=ACTION_ON_PURGE),
        I("RecycleOldestVolume", BOOL, False),
        I("RecycleCurrentVolume", BOOL, False),
        I("MaximumVolumes", PINT32, 0),
        I("MaximumVolumeJobs", PINT32, 0),
        I("MaximumVolumeFiles", PINT32, 0),
        I("MaximumVolumeBytes", SIZE64, 0),
        I("CatalogFiles", BOOL, True),
        I("VolumeRetention", TIME, 31536000),
        I("VolumeUseDuration", TIME, 0),
        I("MigrationTime", TIME, 0),
        I("MigrationHighBytes", SIZE64, 0),
        I("MigrationLowBytes", SIZE64, 0),
        I("NextPool", RES, ref="Pool"),
        I("Storage", RES_LIST, ref="Storage"),
        I("AutoPrune", BOOL, True),
        I("Recycle", BOOL, True),
        I("RecyclePool", RES, ref="Pool"),
        I("ScratchPool", RES, ref="Pool"),
        I("Catalog", RES, ref="Catalog"),
        I("FileRetention", TIME, 0, dep=True),
        I("JobRetention", TIME, 0, dep=True),
        I("MinimumBlockSize", SIZE32, 0),
        I("MaximumBlockSize", SIZE32, 0),
    ),
)

COUNTER = R(
    "Counter",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Minimum", INT32, 0),
        I("Maximum", PINT32, 2147483647),
        I("WrapCounter", RES, ref="Counter"),
        I("Catalog", RES, ref="Catalog"),
    ),
    dep=True,
)

PROFILE = R(
    "Profile",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        *ACL_ITEMS,
    ),
)

CONSOLE = R(
    "Console",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        I("Password", MD5_PASSWORD, req=True),
        *ACL_ITEMS,
        I("Profile", RES_LIST, ref="Profile"),
        I("UsePamAuthentication", BOOL, False),
        *TLS_ITEMS,
    ),
)

USER = R(
    "User",
    (
        I("Name", NAME, req=True),
        I("Description", STR),
        *ACL_ITEMS,
        I("Profile", RES_LIST, ref="Profile"),
    ),
)

DIRECTOR_SCHEMA = DaemonSchema(
    "dir",
    "bareos-dir.conf",
    "bareos-dir.d",
    "Director",
    (
        DIRECTOR,
        CLIENT,
        JOBDEFS,
        JOB,
        STORAGE,
        CATALOG,
        SCHEDULE,
        FILESET,
        POOL,
        MESSAGES,
        COUNTER,
        PROFILE,
        CONSOLE,
        USER,
    ),
)
