; Inno Setup 6 script: a per-machine installer for the PyInstaller bundle in dist\SmallPracticeEMR.
; Inno Setup 6.3 or newer. Build in PowerShell from the checkout, after the bundle
; (packaging\README.md):
;   $v = .venv\Scripts\python packaging\version_info.py
;   & "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$v" packaging\installer.iss
; The installer lands in dist\installer\SmallPracticeEMR-<version>-setup.exe.
;
; The practice's data (database, backups, logs) lives in each Windows user's
; %LOCALAPPDATA%\SmallPracticeEMR folder, or in EMR_HOME: the installer never writes there and the
; uninstaller never deletes it. Reinstalling or upgrading finds it as it was.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: ISCC /DAppVersion=0.1.0 packaging\installer.iss
#endif

#define AppName "Small-practice EMR"
#define AppFolder "SmallPracticeEMR"
#define Bundle "..\dist\SmallPracticeEMR"
#define Icon "..\resources\icons\emr.ico"

[Setup]
; Never change AppId: Windows knows an installed copy (upgrade, uninstall) by it.
AppId={{FC112268-1900-4877-948C-03175DF4DED7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=SmallPracticeEMR
DefaultDirName={autopf}\{#AppFolder}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename={#AppFolder}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\emr.exe
#if FileExists(AddBackslash(SourcePath) + Icon)
SetupIconFile={#Icon}
#endif
UninstallDisplayName={#AppName}
; A running emr.exe is closed (after asking) before its files are replaced.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: emr.exe, emr-admin.exe and _internal\.
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\emr.exe"; WorkingDir: "{app}"
; emr-admin is a console program: this opens a command prompt in the program folder.
Name: "{group}\{#AppName} administration (command prompt)"; Filename: "{cmd}"; Parameters: "/k cd /d ""{app}"" && emr-admin --help"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\emr.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
; On a first install the administrator creates the database and the first admin account here
; (emr-admin init), then exports the key (emr-admin key export --out FILE).
Filename: "{cmd}"; Parameters: "/k cd /d ""{app}"" && emr-admin --help"; Description: "Open the administration command prompt (first install: emr-admin init)"; Flags: postinstall skipifsilent unchecked nowait
Filename: "{app}\emr.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: postinstall skipifsilent unchecked nowait

; No [UninstallDelete]: the uninstaller removes only the files it installed, never the data folder.
