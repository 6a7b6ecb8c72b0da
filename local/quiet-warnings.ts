/**
 * Imported first by the twin's entry point, before anything loads the AWS SDK: the SDK warns on
 * every start that its 2027 releases will need Node 22, which changes nothing for the twin and
 * would be the first thing a newcomer reads. Every other warning is still printed.
 */
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const isSdkNodeNotice = `${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning');
  if (!isSdkNodeNotice) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
