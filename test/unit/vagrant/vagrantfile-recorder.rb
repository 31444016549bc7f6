# Evaluates a Vagrantfile against a recording stand-in for Vagrant's config object and prints what
# it configured as JSON, so a test can check the lab VM's settings without Vagrant installed.
require 'json'

$out = { 'synced' => [], 'providers' => {}, 'provision' => [], 'network' => [] }

class ProviderRecorder
  def initialize(h)
    @h = h
  end

  def method_missing(name, *args)
    @h[name.to_s.chomp('=')] = args[0]
  end

  def respond_to_missing?(*) = true
end

class VmRecorder
  def box=(v)
    $out['box'] = v
  end

  def hostname=(v)
    $out['hostname'] = v
  end

  def network(kind, **opts) = $out['network'] << opts.merge('kind' => kind)
  def synced_folder(src, dst, **opts) = $out['synced'] << { 'src' => src, 'dst' => dst, 'opts' => opts }
  def provision(name, **opts) = $out['provision'] << opts.merge('name' => name)

  def provider(name)
    h = {}
    yield ProviderRecorder.new(h)
    $out['providers'][name] = h
  end
end

class ConfigRecorder
  def vm = @vm ||= VmRecorder.new
end

module Vagrant
  def self.configure(version)
    $out['version'] = version
    yield ConfigRecorder.new
  end
end

load ARGV.fetch(0)
puts JSON.generate($out)
